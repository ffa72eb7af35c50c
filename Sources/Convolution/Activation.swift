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

    func forward(_ band: Band, into out: Band, scratch: Scratch) {
        let w = input.width
        for c in 0..<out.channels {
            for y in out.rowRange {
                let src = band.row(c, y), dst = out.row(c, y)
                switch activation.kind {
                case .relu: for x in 0..<w { dst[x] = max(src[x], 0) }
                case .leakyRelu(let a): for x in 0..<w { let v = src[x]; dst[x] = v >= 0 ? v : a * v }
                default: for x in 0..<w { dst[x] = activation.apply(src[x]) }
                }
            }
        }
    }
}
