import Convolution
import Kernels

/// A filter pipeline as the command line states it: steps in order, and the
/// convolution settings every kernel step shares.
public struct PipelineSpec: Sendable {
    public enum Step: Equatable, Sendable {
        case kernel(String)
        case activation(String)
        case pool(String)
    }

    public var steps: [Step] = []
    public var strideY = 1, strideX = 1
    public var dilationY = 1, dilationX = 1
    public var padding: PaddingSpec = .same
    /// nil: zeros around a numeric or explicit padding, as CNN layers pad; reflect with `same`.
    public var border: BorderMode? = nil
    /// Rotate kernels by 180° (mathematical convolution).
    public var flip = false
    /// Turn RGB into one luma channel first (ITU-R 601: 0.299 R + 0.587 G + 0.114 B).
    public var grayscale = false

    public init() {}

    /// The border kernels see: `border` when given, else zero for a stated number of pixels
    /// (what the notes and every CNN framework mean by padding) and reflect for `same` (photos).
    public var resolvedBorder: BorderMode {
        if let border { return border }
        switch padding {
        case .pixels, .explicit: return .zero
        case .same, .sameLower, .valid: return .reflect
        }
    }

    /// Resolves kernels and parses the other steps into engine stages.
    public func pipeline(library: KernelLibrary, inputChannels: Int) throws -> Pipeline {
        guard min(strideY, strideX) >= 1 else {
            throw SpecError("--stride must be at least 1, not \(min(strideY, strideX))")
        }
        guard min(dilationY, dilationX) >= 1 else {
            throw SpecError("--dilation must be at least 1, not \(min(dilationY, dilationX))")
        }
        // Bounds that keep every size computation far from integer overflow.
        guard max(strideY, strideX, dilationY, dilationX) <= 65536 else {
            throw SpecError("--stride and --dilation must be at most 65536")
        }
        switch padding {
        case .pixels(let p) where p > 65536: throw SpecError("--padding must be at most 65536 pixels")
        case .explicit(let p) where max(p.top, p.bottom, p.left, p.right) > 65536:
            throw SpecError("--padding must be at most 65536 pixels")
        default: break
        }
        var stages: [any Stage] = []
        if grayscale && inputChannels == 3 {
            stages.append(Conv2D(bank: [0.299, 0.587, 0.114], filters: 1, inputChannels: 3, height: 1, width: 1))
        }
        for step in steps {
            switch step {
            case .kernel(let spec):
                var k = try library.resolve(spec)
                if flip { k = k.flipped() }
                var conv = k.conv()
                conv.strideY = strideY; conv.strideX = strideX
                conv.dilationY = dilationY; conv.dilationX = dilationX
                conv.padding = padding; conv.border = resolvedBorder
                stages.append(conv)
            case .activation(let spec): stages.append(try Self.activation(spec))
            case .pool(let spec): stages.append(try Self.pool(spec))
            }
        }
        return Pipeline(stages)
    }

    /// `relu`, `leaky-relu` (slope 0.01) or `leaky-relu:0.2`, `sigmoid`, `tanh`.
    public static func activation(_ spec: String) throws -> Activation {
        let parts = spec.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first ?? "" {
        case "relu" where parts.count == 1: return Activation(.relu)
        case "sigmoid" where parts.count == 1: return Activation(.sigmoid)
        case "tanh" where parts.count == 1: return Activation(.tanh)
        case "leaky-relu", "leakyrelu", "leaky_relu":
            if parts.count == 1 { return Activation(.leakyRelu(slope: 0.01)) }
            guard let a = Float(parts[1]), a.isFinite else { throw SpecError("--activation '\(spec)': slope '\(parts[1])' is not a number") }
            return Activation(.leakyRelu(slope: a))
        default:
            throw SpecError("--activation '\(spec)': expected relu, leaky-relu[:SLOPE], sigmoid or tanh")
        }
    }

    /// `max:F`, `max:F:S`, `avg:F`, `avg:F:S` (stride defaults to F); F and S are N or HxW
    /// (height × width: `max:1x2` pools pairs of neighbours along each row).
    public static func pool(_ spec: String) throws -> Pool2D {
        let parts = spec.lowercased().split(separator: ":").map(String.init)
        guard (2...3).contains(parts.count), let kind = Pool2D.Kind(rawValue: parts[0] == "average" ? "avg" : parts[0]),
              let f = pair(parts[1]) else {
            throw SpecError("--pool '\(spec)': expected max:F[:S] or avg:F[:S], e.g. max:2 or max:1x2")
        }
        let s = parts.count == 3 ? pair(parts[2]) : f
        guard let s, min(f.y, f.x, s.y, s.x) >= 1, max(f.y, f.x, s.y, s.x) <= 65536 else {
            throw SpecError("--pool '\(spec)': size and stride must be whole numbers from 1 to 65536")
        }
        return Pool2D(kind, height: f.y, width: f.x, strideY: s.y, strideX: s.x)
    }

    /// `N`, or `HxW`: vertical then horizontal (`3x2`), for strides, dilations and pool windows.
    public static func pair(_ text: String) -> (y: Int, x: Int)? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        switch parts.count {
        case 1: return parts[0].map { ($0, $0) }
        case 2: if let y = parts[0], let x = parts[1] { return (y, x) } else { return nil }
        default: return nil
        }
    }

    /// The value of `--stride` or `--dilation`: `N` or `HxW` (vertical x horizontal).
    public static func axes(_ text: String, option: String) throws -> (y: Int, x: Int) {
        guard let p = pair(text) else {
            throw SpecError("\(option) '\(text)': expected a number or HxW (vertical x horizontal), e.g. 3x2")
        }
        return p
    }

    /// `same`, `valid`, a number of pixels on every side, `HxW` (top and bottom, left and right)
    /// or four numbers `T,B,L,R`.
    public static func padding(_ text: String) throws -> PaddingSpec {
        switch text.lowercased() {
        case "same": return .same
        case "valid": return .valid
        default:
            let bad = SpecError("--padding '\(text)': expected same, valid, N, HxW or T,B,L,R (pixels, not negative)")
            if let n = Int(text) {
                guard n >= 0 else { throw bad }
                return .pixels(n)
            }
            let four = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            if four.count == 4, let t = four[0], let b = four[1], let l = four[2], let r = four[3] {
                guard min(t, b, l, r) >= 0 else { throw bad }
                return .explicit(Padding(top: t, bottom: b, left: l, right: r))
            }
            guard let p = pair(text), min(p.y, p.x) >= 0 else { throw bad }
            return .explicit(Padding(top: p.y, bottom: p.y, left: p.x, right: p.x))
        }
    }
}

public struct SpecError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
