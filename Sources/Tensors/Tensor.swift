/// A dense Float32 tensor in row-major (C-contiguous) order. Images are planar
/// C×H×W; a 2-D matrix is H×W. One type for the filter, models and training.
public struct Tensor: Equatable, Sendable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor whose values the caller overwrites at once (no zero-filling,
    /// which is measurable for every layer of every training step).
    public init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        let count = shape.reduce(1, *)
        self.storage = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.storage = values
    }

    /// Builds a C×H×W tensor from channels of equally sized row lists.
    public init(channels: [[[Float]]]) {
        let h = channels.first?.count ?? 0, w = channels.first?.first?.count ?? 0
        self.init(shape: [channels.count, h, w], values: channels.flatMap { $0.flatMap { $0 } })
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// The tensor seen as C×H×W: a 2-D tensor is one channel.
    public var planes: (channels: Int, height: Int, width: Int) {
        switch shape.count {
        case 2: return (1, shape[0], shape[1])
        case 3: return (shape[0], shape[1], shape[2])
        default: preconditionFailure("tensor of shape \(shape) is not an image")
        }
    }

    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, values: storage)
    }

    public subscript(c: Int, y: Int, x: Int) -> Float {
        get { let p = planes; return storage[(c * p.height + y) * p.width + x] }
        set { let p = planes; storage[(c * p.height + y) * p.width + x] = newValue }
    }

    /// Rows of one channel, for printing and tests.
    public func rows(channel c: Int) -> [[Float]] {
        let p = planes
        return (0..<p.height).map { y in Array(storage[((c * p.height + y) * p.width)..<((c * p.height + y + 1) * p.width)]) }
    }

    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shapes differ: \(shape) vs \(other.shape)")
        var m: Float = 0
        for i in 0..<storage.count { m = Swift.max(m, Swift.abs(storage[i] - other.storage[i])) }
        return m
    }
}
