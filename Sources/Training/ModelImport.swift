import NeuralNet
import Tensors

/// Turns an ONNX model into a trainable network, for fine-tuning: a chain of
/// the operators the training layers have (what `ModelExport` writes and what
/// PyTorch exports for plain CNNs). Anything else is an error naming the node.
public enum ModelImport {
    public static func network(_ graph: Graph, path: String) throws -> Network {
        guard let input = graph.inputs.first, input.shape.count == 4, let c = input.shape[1], let h = input.shape[2], let w = input.shape[3] else {
            throw TrainingError("\(path): fine-tuning needs one N×C×H×W input with fixed C, H and W")
        }
        var rng = RandomSource(seed: 0)
        var layers: [Layer] = [], names: [String] = []
        var current = input.name, shape = [c, h, w]
        var pendingCentre: [Float]? = nil
        func fail(_ node: Node, _ why: String) -> TrainingError { TrainingError("\(path): node '\(node.displayName)' (\(node.opType)): \(why)") }
        func constant(_ node: Node, _ i: Int) throws -> Tensor {
            guard node.inputs.count > i, let t = graph.initializers[node.inputs[i]] else { throw fail(node, "input \(i + 1) must be a stored weight") }
            return t
        }
        func square(_ node: Node, _ key: String, default value: Int) throws -> Int {
            let v = node.ints(key) ?? [value, value]
            guard v.count == 2, v[0] == v[1] else { throw fail(node, "\(key) \(v) must be equal in both directions to train") }
            return v[0]
        }
        func symmetricPad(_ node: Node) throws -> Int {
            guard node.string("auto_pad", default: "NOTSET") == "NOTSET" || node.string("auto_pad", default: "") == "VALID" else {
                throw fail(node, "auto_pad is not supported for training; export with explicit pads")
            }
            let p = node.ints("pads") ?? [0, 0, 0, 0]
            guard p.count == 4, Set(p).count == 1 else { throw fail(node, "pads \(p) must be equal on every side to train") }
            return p[0]
        }
        for node in graph.nodes {
            guard node.inputs.first == current else { throw fail(node, "the model is not a simple chain of layers (input '\(node.inputs.first ?? "")' is not the previous output)") }
            var layer: Layer? = nil
            switch node.opType {
            case "Sub" where layers.isEmpty && pendingCentre == nil:
                pendingCentre = try constant(node, 1).storage
            case "Div" where pendingCentre != nil:
                let std = try constant(node, 1).storage
                guard pendingCentre!.count == std.count, std.count == 1 || std.count == c else { throw fail(node, "standardisation does not match \(c) channels") }
                layer = StandardizeLayer(mean: pendingCentre!.count == 1 ? .init(repeating: pendingCentre![0], count: c) : pendingCentre!,
                                         std: std.count == 1 ? .init(repeating: std[0], count: c) : std)
                pendingCentre = nil
            case "Conv":
                let weight = try constant(node, 0 + 1)
                guard weight.rank == 4 else { throw fail(node, "only 2-D convolutions") }
                let conv = ConvLayer(inChannels: shape[0], outChannels: weight.shape[0], kernel: (weight.shape[2], weight.shape[3]),
                                     stride: try square(node, "strides", default: 1), padding: try symmetricPad(node),
                                     dilation: try square(node, "dilations", default: 1), groups: node.int("group", default: 1),
                                     bias: node.inputs.count > 2, name: node.displayName, rng: &rng)
                guard conv.weight.shape == weight.shape else { throw fail(node, "weight shape \(weight.shape) does not fit \(shape[0]) input channels") }
                conv.weight.value = weight.storage
                if let b = conv.bias { b.value = try constant(node, 2).storage }
                layer = conv
            case "BatchNormalization":
                let bn = BatchNormLayer(channels: shape[0], name: node.displayName)
                for (i, p) in [bn.scale, bn.shift, bn.runningMean, bn.runningVariance].enumerated() {
                    let t = try constant(node, i + 1)
                    guard t.count == p.count else { throw fail(node, "parameter \(i + 1) has \(t.count) values for \(p.count) channels") }
                    p.value = t.storage
                }
                layer = bn
            case "Relu": layer = ActivationLayer(.relu)
            case "LeakyRelu": layer = ActivationLayer(.leakyRelu(node.float("alpha", default: 0.01)))
            case "Sigmoid": layer = ActivationLayer(.sigmoid)
            case "Tanh": layer = ActivationLayer(.tanh)
            case "MaxPool", "AveragePool":
                guard node.int("ceil_mode", default: 0) == 0 else { throw fail(node, "ceil_mode is not supported for training") }
                let k = try square(node, "kernel_shape", default: 1), pad = try symmetricPad(node)
                if node.opType == "AveragePool" && pad > 0 && node.int("count_include_pad", default: 0) == 0 {
                    throw fail(node, "padded average pooling without count_include_pad is not supported for training")
                }
                layer = PoolLayer(node.opType == "MaxPool" ? .max : .average, size: k, stride: try square(node, "strides", default: 1), padding: pad)
            case "Flatten", "Reshape":
                layer = FlattenLayer()
            case "Gemm":
                guard node.float("alpha", default: 1) == 1, node.float("beta", default: 1) == 1, node.int("transA", default: 0) == 0 else {
                    throw fail(node, "only Gemm with alpha = beta = 1 and no transA")
                }
                var weight = try constant(node, 1)
                if node.int("transB", default: 0) == 0 {
                    let (r, cl) = (weight.shape[0], weight.shape[1])
                    weight = Tensor(shape: [cl, r], values: (0..<(r * cl)).map { weight.storage[($0 % r) * cl + $0 / r] })
                }
                let linear = LinearLayer(inFeatures: shape.reduce(1, *), outFeatures: weight.shape[0], name: node.displayName, rng: &rng)
                guard weight.shape == linear.weight.shape else { throw fail(node, "weight \(weight.shape) does not fit \(shape.reduce(1, *)) inputs") }
                linear.weight.value = weight.storage
                linear.bias.value = node.inputs.count > 2 ? try constant(node, 2).storage : .init(repeating: 0, count: weight.shape[0])
                layer = linear
            case "Dropout", "Identity", "Softmax", "LogSoftmax":
                current = node.outputs[0]
                continue // identities at inference; the loss applies its own softmax
            default:
                throw fail(node, "cannot be trained by cnnfilter (trainable: Conv, BatchNormalization, Relu, LeakyRelu, Sigmoid, Tanh, MaxPool, AveragePool, Flatten, Gemm, Dropout)")
            }
            current = node.outputs[0]
            guard let layer else { continue }
            do { shape = try layer.outputShape(shape) } catch let e as TrainingError { throw fail(node, e.message) }
            layers.append(layer); names.append(node.displayName)
        }
        return try Network(inputShape: [c, h, w], layers: layers, names: names, labels: graph.labels ?? (0..<shape.reduce(1, *)).map(String.init))
    }
}
