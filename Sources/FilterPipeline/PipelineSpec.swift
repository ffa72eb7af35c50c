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
    public var stride = 1
    public var dilation = 1
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
        guard stride >= 1 else { throw SpecError("--stride must be at least 1, not \(stride)") }
        guard dilation >= 1 else { throw SpecError("--dilation must be at least 1, not \(dilation)") }
        // Bounds that keep every size computation far from integer overflow.
        guard stride <= 65536, dilation <= 65536 else { throw SpecError("--stride and --dilation must be at most 65536") }
        if case .pixels(let p) = padding, p > 65536 { throw SpecError("--padding must be at most 65536 pixels") }
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
                conv.strideX = stride; conv.strideY = stride
                conv.dilationX = dilation; conv.dilationY = dilation
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

    /// `max:F`, `max:F:S`, `avg:F`, `avg:F:S` (stride defaults to F).
    public static func pool(_ spec: String) throws -> Pool2D {
        let parts = spec.lowercased().split(separator: ":").map(String.init)
        guard (2...3).contains(parts.count), let kind = Pool2D.Kind(rawValue: parts[0] == "average" ? "avg" : parts[0]),
              let f = Int(parts[1]), f >= 1 else {
            throw SpecError("--pool '\(spec)': expected max:F[:S] or avg:F[:S], e.g. max:2")
        }
        let s = parts.count == 3 ? Int(parts[2]) : f
        guard let s, s >= 1, s <= 65536, f <= 65536 else {
            throw SpecError("--pool '\(spec)': size and stride must be whole numbers from 1 to 65536")
        }
        return Pool2D(kind, size: f, stride: s)
    }

    /// `same`, `valid` or a number of pixels.
    public static func padding(_ text: String) throws -> PaddingSpec {
        switch text.lowercased() {
        case "same": return .same
        case "valid": return .valid
        default:
            guard let n = Int(text), n >= 0 else { throw SpecError("--padding '\(text)': expected same, valid or a number of pixels") }
            return .pixels(n)
        }
    }
}

public struct SpecError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
