import NeuralNet
import Tensors

/// What a feature picture is optimised to raise, in one layer's value (N×C×H×W maps or N×F features,
/// first item): a channel's mean over its positions, or one neuron, the channel at the centre
/// position (lucid's `channel` and `neuron` objectives). A class logit is a channel of the output.
public enum FeatureObjective: Sendable, Equatable {
    case channel(Int)
    case neuron(Int)

    public var channel: Int {
        switch self { case .channel(let c), .neuron(let c): return c }
    }

    /// d objective / d value: the objective is linear in the value, so this also gives its value
    /// (the sum of the value times these weights).
    func weights(_ shape: [Int]) -> Tensor {
        var seed = Tensor(shape: shape)
        let c = channel
        if shape.count == 4 {
            let h = shape[2], w = shape[3], base = c * h * w
            switch self {
            case .channel: for i in 0..<(h * w) { seed.storage[base + i] = 1 / Float(h * w) }
            case .neuron: seed.storage[base + (h / 2) * w + w / 2] = 1
            }
        } else {
            seed.storage[c] = 1
        }
        return seed
    }

    /// The objective's value for `value`.
    func measure(_ value: Tensor) -> Float {
        zip(weights(value.shape).storage, value.storage).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
