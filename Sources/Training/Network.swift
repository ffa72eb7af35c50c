import Dispatch
import Foundation
import NeuralNet
import Tensors

/// A network to train: a graph, built from the architecture text or read from an ONNX model, run
/// forward and backward by the runtime's `Backpropagation` on the inference kernels. Its trainable
/// weights and batch norm's running statistics are `parameters`, which the optimizer updates and
/// checkpoints carry; the export is the graph itself with those values.
public final class Network {
    let graph: Graph
    /// The model the graph was read from or written as: `model` gives it back with the current weights.
    let template: Onnx_ModelProto
    let backprop: Backpropagation
    public let inputName: String, outputName: String
    /// One sample's shape, C×H×W.
    public let inputShape: [Int]
    public let classes: Int
    /// Class names, exported into the model's metadata.
    public var labels: [String]
    /// The architecture text the network was built from; nil for a model read from ONNX.
    public let architecture: String?
    /// Trainable weights, then the running statistics (buffers), each named as its initializer.
    public let parameters: [Parameter]
    /// The computed layers (nodes whose value depends on the input) and one sample's output shape of each.
    public let names: [String], shapes: [[Int]]
    /// Graph node index of each of `names`.
    let layerNodes: [Int]

    /// The last training forward pass, which `backward` differentiates.
    private var pass: Backpropagation.Pass?
    private var dropoutSeed: UInt64 = 0, batches: UInt64 = 0

    /// `path` names the model in errors.
    init(graph: Graph, model: Onnx_ModelProto, architecture: String?, labels: [String]?, path: String) throws {
        guard graph.inputs.count == 1, let input = graph.inputs.first, input.shape.count == 4,
              let c = input.shape[1], let h = input.shape[2], let w = input.shape[3] else {
            throw TrainingError("\(path): training needs one N×C×H×W input with fixed C, H and W")
        }
        guard let output = graph.outputs.first else { throw TrainingError("\(path): the model has no output") }
        self.graph = graph; template = model; self.architecture = architecture
        inputName = input.name; outputName = output; inputShape = [c, h, w]
        let trainable = graph.trainableWeights
        let buffers = graph.nodes.filter { $0.opType == "BatchNormalization" }
            .flatMap { $0.inputs.dropFirst(3).prefix(2) }
            .filter { graph.initializers[$0] != nil && !trainable.contains($0) }
        var seen: Set<String> = []
        parameters = (trainable + buffers).filter { seen.insert($0).inserted }.map { name in
            let t = graph.initializers[name]!
            // Weight decay for weights (matrices and filters), not for biases and normalisation.
            return Parameter(name: name, shape: t.shape, value: t.storage,
                             trainable: trainable.contains(name), decays: t.rank >= 2)
        }
        do {
            backprop = try Backpropagation(graph, sources: Set(trainable), outputs: [output])
        } catch let e as ModelError { throw TrainingError("\(path): \(e.message)") }
        if !backprop.unreached.isEmpty {
            let names = backprop.unreached.prefix(5).joined(separator: ", ")
                + (backprop.unreached.count > 5 ? ", …" : "")
            throw TrainingError("\(path): the output does not depend on the weights \(names): nothing would train them")
        }
        // One sample through the graph: the layers' shapes and the number of classes.
        let probe: Backpropagation.Pass
        do { probe = try backprop.forward([inputName: Tensor(shape: [1, c, h, w])], training: false) }
        catch { throw TrainingError("\(path): \(error)") }
        guard let logits = probe.output(output) else {
            throw TrainingError("\(path): the output '\(output)' was not computed")
        }
        classes = logits.count
        var dependent: Set<String> = [inputName], names: [String] = [], shapes: [[Int]] = [], nodes: [Int] = []
        for i in backprop.order {
            let node = graph.nodes[i]
            guard node.inputs.contains(where: dependent.contains) else { continue }
            node.outputs.forEach { dependent.insert($0) }
            if node.opType == "Identity" { continue }
            names.append(node.displayName); nodes.append(i)
            shapes.append(Array((probe.output(node.outputs[0])?.shape ?? []).dropFirst()))
        }
        self.names = names; self.shapes = shapes; layerNodes = nodes
        self.labels = labels ?? graph.labels ?? (0..<classes).map(String.init)
    }

    public var trainableCount: Int { parameters.filter(\.trainable).reduce(0) { $0 + $1.count } }

    /// Seconds spent in each layer's forward and backward passes while training, by position in `names`,
    /// when `profiling` is on (`cnnfilter train --profile`).
    public var profiling = false
    public private(set) var timings: [(forward: Double, backward: Double)] = []

    private func timer(_ backward: Bool) -> ((Int, UInt64) -> Void)? {
        guard profiling else { return nil }
        if timings.count != names.count { timings = Array(repeating: (0, 0), count: names.count) }
        return { [self] node, ns in
            guard let at = layerNodes.firstIndex(of: node) else { return }
            if backward { timings[at].backward += Double(ns) / 1e9 } else { timings[at].forward += Double(ns) / 1e9 }
        }
    }

    /// The current weights by initializer name.
    var weights: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, Tensor(shape: $0.shape, values: $0.value)) })
    }

    /// Logits for a batch N×C×H×W. In training, batch norm uses the batch's statistics (and moves its
    /// running statistics), dropout drops, and the pass is kept for `backward`.
    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        var feeds = weights
        feeds[inputName] = x
        batches += 1
        let p = try backprop.forward(feeds, training: training, seed: dropoutSeed &+ batches,
                                     timed: training ? timer(false) : nil)
        if training {
            for parameter in parameters where !parameter.trainable {
                if let v = p.updates[parameter.name] { parameter.value = v.storage }
            }
            pass = p
        }
        return p.output(outputName)!.reshaped([x.shape[0], classes])
    }

    /// Adds dLoss/dWeight into each trainable parameter's `grad`, from dLoss/dLogits of the last
    /// training forward pass.
    public func backward(_ dLogits: Tensor) throws {
        guard let p = pass else { throw TrainingError("backward without a training forward pass") }
        pass = nil
        let shape = p.output(outputName)!.shape
        let grads = try backprop.backward(p, outputGradients: [outputName: dLogits.reshaped(shape)], timed: timer(true))
        for parameter in parameters where parameter.trainable {
            guard let g = grads[parameter.name] else { continue }
            parameter.grad.withUnsafeMutableBufferPointer { d in
                g.storage.withUnsafeBufferPointer { s in for i in 0..<d.count { d[i] += s[i] } }
            }
        }
    }

    /// New dropout masks for each epoch, derived from the seed.
    func reseed(seed: UInt64, epoch: Int) {
        var rng = RandomSource(seed: seed, RandomPurpose.dropout, epoch)
        dropoutSeed = rng.next(); batches = 0
    }

    /// Logits for many samples, in inference mode, `batchSize` at a time.
    public func logits(_ x: Tensor, batchSize: Int = 256) throws -> Tensor {
        let n = x.shape[0], per = x.count / max(n, 1)
        var out: [Float] = []
        out.reserveCapacity(n * classes)
        var start = 0
        while start < n {
            let end = min(n, start + batchSize)
            let chunk = Tensor(shape: [end - start] + Array(x.shape.dropFirst()), values: Array(x.storage[(start * per)..<(end * per)]))
            out += try forward(chunk, training: false).storage
            start = end
        }
        return Tensor(shape: [n, classes], values: out)
    }

    /// The model with the current weights, the class names and the architecture in its metadata.
    public var model: Onnx_ModelProto {
        var metadata = ["labels": labels.joined(separator: "\n")]
        if let architecture { metadata["cnnfilter.architecture"] = architecture }
        return ONNXWriter.replacing(weights, metadata: metadata, in: template)
    }

    /// A network from an ONNX model, to fine-tune: any graph of operators with a backward pass.
    public static func read(_ path: String) throws -> Network {
        let (graph, model) = try ONNXLoader.loadModel(path: path)
        return try Network(graph: graph, model: model, architecture: graph.metadata["cnnfilter.architecture"],
                           labels: nil, path: path)
    }
}
