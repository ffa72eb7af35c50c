import Tensors

/// A learned tensor and its gradient. Buffers (batch norm's running
/// statistics) are Parameters that no optimizer touches but checkpoints and
/// exports carry.
public final class Parameter {
    public let name: String
    public let shape: [Int]
    public var value: [Float]
    public var grad: [Float]
    /// False for running statistics.
    public let trainable: Bool
    /// Weight decay applies to weights, not to biases and normalisation scales.
    public let decays: Bool

    public init(name: String, shape: [Int], value: [Float], trainable: Bool = true, decays: Bool = true) {
        precondition(shape.reduce(1, *) == value.count, "\(name): \(value.count) values for shape \(shape)")
        self.name = name; self.shape = shape; self.value = value
        self.grad = [Float](repeating: 0, count: trainable ? value.count : 0)
        self.trainable = trainable; self.decays = decays
    }

    public var count: Int { value.count }

    public func zeroGrad() {
        grad.withUnsafeMutableBufferPointer { g in g.update(repeating: 0) }
    }

    /// PyTorch's default for convolutions and linear layers: uniform in
    /// ±1/√fan_in, so a network starts as a PyTorch one would.
    static func fanIn(_ name: String, shape: [Int], fanIn: Int, rng: inout RandomSource, decays: Bool = true) -> Parameter {
        let bound = 1 / Float(max(fanIn, 1)).squareRoot()
        let values = (0..<shape.reduce(1, *)).map { _ in rng.uniform(-bound, bound) }
        return Parameter(name: name, shape: shape, value: values, decays: decays)
    }
}
