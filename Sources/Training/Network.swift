import Dispatch
import Tensors

/// A sequential network: layers with their names and per-sample output
/// shapes, checked when it is built.
public final class Network {
    public let inputShape: [Int]
    public let layers: [Layer]
    public let names: [String]
    /// Output shape of each layer, per sample.
    public let shapes: [[Int]]
    /// Class names, exported into the model's metadata.
    public var labels: [String]

    init(inputShape: [Int], layers: [Layer], names: [String], labels: [String]) throws {
        self.inputShape = inputShape; self.layers = layers; self.names = names; self.labels = labels
        var shape = inputShape, shapes: [[Int]] = []
        for layer in layers { shape = try layer.outputShape(shape); shapes.append(shape) }
        self.shapes = shapes
        // Nothing before the first layer with weights needs dInput.
        if let first = layers.first(where: { !$0.parameters.isEmpty }) as? ConvLayer { first.needsInputGradient = false }
    }

    public var classes: Int { shapes.last?.reduce(1, *) ?? 0 }
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var trainableCount: Int { parameters.filter(\.trainable).reduce(0) { $0 + $1.count } }

    /// The architecture in the text format, one layer per line.
    public var architecture: String {
        zip(layers, names).map { layer, name in "\(layer.description) name=\(name)" }.joined(separator: "\n") + "\n"
    }

    /// Seconds spent in each layer's forward and backward passes while
    /// training, when `profiling` is on (`cnnfilter train --profile`).
    public var profiling = false
    public private(set) var timings: [(forward: Double, backward: Double)] = []

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        guard profiling && training else { return layers.reduce(x) { $1.forward($0, training: training) } }
        if timings.count != layers.count { timings = Array(repeating: (0, 0), count: layers.count) }
        var y = x
        for (i, layer) in layers.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            y = layer.forward(y, training: true)
            timings[i].forward += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return y
    }

    public func backward(_ dLogits: Tensor) {
        var g = dLogits
        for (i, layer) in layers.enumerated().reversed() {
            let start = DispatchTime.now().uptimeNanoseconds
            g = layer.backward(g)
            if profiling { timings[i].backward += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            // Layers before the first with weights need no gradient.
            if layers[..<i].allSatisfy({ $0.parameters.isEmpty }) { break }
        }
    }

    /// New dropout masks for each epoch, derived from the seed.
    func reseed(seed: UInt64, epoch: Int) {
        for (i, layer) in layers.enumerated() {
            (layer as? RandomizedLayer)?.reseed(RandomSource(seed: seed, RandomPurpose.dropout, epoch, i))
        }
    }

    /// Logits for a batch, in inference mode, `batchSize` samples at a time.
    public func logits(_ x: Tensor, batchSize: Int = 256) -> Tensor {
        let n = x.shape[0], per = x.count / max(n, 1)
        var out: [Float] = []
        out.reserveCapacity(n * classes)
        var start = 0
        while start < n {
            let end = min(n, start + batchSize)
            let chunk = Tensor(shape: [end - start] + Array(x.shape.dropFirst()), values: Array(x.storage[(start * per)..<(end * per)]))
            out += forward(chunk, training: false).storage
            start = end
        }
        return Tensor(shape: [n, classes], values: out)
    }
}
