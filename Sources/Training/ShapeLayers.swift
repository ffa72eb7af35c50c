import Tensors

/// Inverted dropout: in training each value is zeroed with probability p and
/// the survivors scaled by 1/(1 − p); inference passes values through.
public final class DropoutLayer: Layer, RandomizedLayer {
    public let probability: Float
    private var rng = RandomSource(seed: 0)
    private var mask: [Float] = []

    init(probability: Float) { self.probability = probability }

    public var description: String { "dropout \(probability)" }
    public func outputShape(_ input: [Int]) throws -> [Int] { input }
    func reseed(_ rng: RandomSource) { self.rng = rng }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        guard training, probability > 0 else { return x }
        let keep = 1 - probability
        mask = (0..<x.count).map { _ in rng.unit() < keep ? 1 / keep : 0 }
        var y = x
        for i in 0..<y.count { y.storage[i] *= mask[i] }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard probability > 0 else { return dy }
        var dx = dy
        for i in 0..<dx.count { dx.storage[i] *= mask[i] }
        return dx
    }
}

/// C×H×W → C·H·W, as ONNX's Flatten (axis 1) does.
public final class FlattenLayer: Layer {
    private var shape: [Int] = []
    public var description: String { "flatten" }
    public func outputShape(_ input: [Int]) throws -> [Int] { [input.reduce(1, *)] }
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        shape = x.shape
        return x.reshaped([x.shape[0], x.count / max(x.shape[0], 1)])
    }
    public func backward(_ dy: Tensor) -> Tensor { dy.reshaped(shape) }
}

/// (x − mean) / std per channel: the training set's statistics, fixed, so the
/// exported model takes pixels in [0, 1] and normalises them itself.
public final class StandardizeLayer: Layer {
    public let mean: [Float], std: [Float]
    init(mean: [Float], std: [Float]) { self.mean = mean; self.std = std }

    public var description: String {
        "standardize mean=\(mean.map { "\($0)" }.joined(separator: ",")) std=\(std.map { "\($0)" }.joined(separator: ","))"
    }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard input.first == mean.count else { throw TrainingError("standardize has \(mean.count) channels, the input \(shapeText(input))") }
        return input
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor { apply(x) { ($0 - $1) / $2 } }
    public func backward(_ dy: Tensor) -> Tensor { apply(dy) { v, _, s in v / s } }

    private func apply(_ x: Tensor, _ f: (Float, Float, Float) -> Float) -> Tensor {
        var y = x
        let c = mean.count, plane = x.count / max(x.shape[0] * c, 1)
        for i in 0..<x.count { let ch = (i / plane) % c; y.storage[i] = f(y.storage[i], mean[ch], std[ch]) }
        return y
    }
}
