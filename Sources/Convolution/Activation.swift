import Foundation

/// Element-wise non-linearities from the lecture notes.
public struct Activation: Stage {
    public enum Kind: Equatable, Sendable {
        case relu
        case leakyRelu(slope: Float)
        case sigmoid
        case tanh
    }
    public var kind: Kind
    public init(_ kind: Kind) { self.kind = kind }

    public var summary: String {
        switch kind {
        case .relu: return "relu"
        case .leakyRelu(let a): return "leaky-relu \(a)"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        }
    }

    public func apply(_ v: Float) -> Float {
        switch kind {
        case .relu: return max(v, 0)
        case .leakyRelu(let a): return v >= 0 ? v : a * v
        case .sigmoid: return 1 / (1 + Foundation.exp(-v))
        case .tanh: return Foundation.tanh(v)
        }
    }

    public func plan(for input: Shape3) throws -> any PlannedStage {
        PlannedActivation(activation: self, input: input)
    }
}

struct PlannedActivation: PlannedStage {
    let activation: Activation
    let input: Shape3
    var output: Shape3 { input }

    func inputRows(for rows: Range<Int>) -> Range<Int> { rows }

    func forward(_ band: Band, rows: Range<Int>) -> Band {
        var out = band
        if out.rowRange != rows {
            // Keep only the requested rows.
            out = Band(channels: band.channels, firstRow: rows.lowerBound, rows: rows.count, width: band.width)
            for c in 0..<band.channels {
                let s = band.offset(channel: c, row: rows.lowerBound), d = out.offset(channel: c, row: rows.lowerBound)
                out.data[d..<(d + rows.count * band.width)] = band.data[s..<(s + rows.count * band.width)]
            }
        }
        switch activation.kind {
        case .relu:
            out.data.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = max(p[i], 0) } }
        default:
            out.data.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = activation.apply(p[i]) } }
        }
        return out
    }
}
