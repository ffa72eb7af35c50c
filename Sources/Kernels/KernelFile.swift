import Convolution

/// A parsed kernel file: one 2-D kernel, or a bank of 3-D filters with biases
/// (a whole convolution layer). Values are stored with the scale applied.
public struct KernelFile: Equatable, Sendable {
    public struct Filter: Equatable, Sendable {
        /// Channel slices, each `height` rows of `width` values.
        public var slices: [[[Float]]]
        public var bias: Float
        public init(slices: [[[Float]]], bias: Float = 0) { self.slices = slices; self.bias = bias }
    }

    public var name: String
    public var description: String
    public var filters: [Filter]
    /// Where it came from: a path, "built-in:NAME", "--kernel '…'" or "parametric".
    public var origin: String
    /// The text it was parsed from, when it came from a file.
    public var sourceText: String?

    public init(name: String, description: String = "", filters: [Filter], origin: String) {
        self.name = name; self.description = description; self.filters = filters; self.origin = origin
    }

    public var height: Int { filters[0].slices[0].count }
    public var width: Int { filters[0].slices[0][0].count }
    public var depth: Int { filters[0].slices.count }
    /// A single 2-D kernel is applied to every channel on its own.
    public var isPlain: Bool { filters.count == 1 && depth == 1 }

    /// Weights and biases of the layer this file describes: F·F·D per filter
    /// plus one bias each (lecture notes, E6). A plain kernel counts once.
    public var parameterCount: Int { filters.count * (height * width * depth + 1) }

    /// The 2-D kernel of a plain file.
    public var matrix: [[Float]] { filters[0].slices[0] }

    /// Rotated by 180°: mathematical convolution instead of cross-correlation.
    public func flipped() -> KernelFile {
        var copy = self
        copy.filters = filters.map { f in
            Filter(slices: f.slices.map { $0.reversed().map { Array($0.reversed()) } }, bias: f.bias)
        }
        return copy
    }

    /// The convolution stage this kernel stands for.
    public func conv() -> Conv2D {
        if isPlain {
            return Conv2D(perChannel: matrix.flatMap { $0 }, height: height, width: width, bias: filters[0].bias)
        }
        return Conv2D(bank: filters.flatMap { $0.slices.flatMap { $0.flatMap { $0 } } },
                      filters: filters.count, inputChannels: depth, height: height, width: width,
                      bias: filters.map(\.bias))
    }
}
