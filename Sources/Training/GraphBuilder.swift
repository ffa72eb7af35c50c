import Convolution
import NeuralNet
import Tensors

/// Turns an architecture's lines into a graph, one layer at a time: ONNX nodes with their weights
/// (initializers named NAME.weight, NAME.bias, as PyTorch names them) and one sample's shape after each
/// layer, checked as it goes, so an error names the line that does not fit.
struct GraphBuilder {
    static let inputName = "pixels"
    private(set) var nodes: [Node] = []
    private(set) var initializers: [String: Tensor] = [:]
    /// One sample's shape after each layer (and of the input), by layer name.
    private(set) var shapes: [String: [Int]]
    /// The layer whose output the next line reads.
    var current = GraphBuilder.inputName
    let input: [Int]
    var shape: [Int] { shapes[current]! }

    init(input: [Int]) {
        self.input = input
        shapes = [Self.inputName: input]
    }

    private mutating func node(_ op: String, _ name: String, _ inputs: [String],
                               _ attributes: [String: Attribute] = [:]) {
        nodes.append(Node(name: name, opType: op, inputs: inputs, outputs: [name], attributes: attributes))
    }

    private mutating func weight(_ name: String, _ shape: [Int], _ values: [Float]) -> String {
        initializers[name] = Tensor(shape: shape, values: values)
        return name
    }

    /// Uniform in ±1/√fan-in (PyTorch's default for convolutions and linear layers).
    /// Weights of `shape` drawn from ±1/√fan-in; a shape past the memory budget is refused before any is drawn.
    private mutating func fanIn(_ name: String, _ shape: [Int], fanIn: Int, _ rng: inout RandomSource) throws
        -> String {
        let bound = 1 / Float(max(fanIn, 1)).squareRoot()
        let count: Int
        do { count = try MemoryBudget.count(shape, name) } catch let e as ModelError {
            throw TrainingError(e.message)
        }
        return weight(name, shape, (0..<count).map { _ in rng.uniform(-bound, bound) })
    }

    /// Adds the layer `name` reading `current`, which it then becomes.
    mutating func add(_ spec: Architecture.Spec, name: String, classes: Int, rng: inout RandomSource) throws {
        let x = current, s = shape
        let out: [Int]
        switch spec {
        case .conv(let filters, let kernel, let stride, let pad, let dilation, let groups, let bias):
            guard s.count == 3 else { throw TrainingError("a convolution needs C×H×W input, got \(shapeText(s))") }
            guard s[0] % groups == 0, filters % groups == 0 else {
                throw TrainingError("\(s[0]) input channels and \(filters) filters do not split into \(groups) groups")
            }
            let padding: Int
            if let pad { padding = pad } else {
                guard kernel.0 == kernel.1, kernel.0 % 2 == 1 else {
                    throw TrainingError("pad=same needs an odd square kernel")
                }
                padding = dilation * (kernel.0 - 1) / 2
            }
            let eh = dilation * (kernel.0 - 1) + 1, ew = dilation * (kernel.1 - 1) + 1
            guard s[1] + 2 * padding >= eh, s[2] + 2 * padding >= ew else {
                throw TrainingError("a \(kernel.0)×\(kernel.1) kernel does not fit a \(s[1])×\(s[2]) "
                                    + "input with padding \(padding)")
            }
            let oh = try slidingOutputLength(axis: "height", size: s[1], extent: eh, padding: 2 * padding,
                                             stride: stride, exact: false)
            let ow = try slidingOutputLength(axis: "width", size: s[2], extent: ew, padding: 2 * padding,
                                             stride: stride, exact: false)
            let fan = s[0] / groups * kernel.0 * kernel.1
            let weightShape = [filters, s[0] / groups, kernel.0, kernel.1]
            var inputs = [x, try fanIn("\(name).weight", weightShape, fanIn: fan, &rng)]
            if bias { inputs.append(try fanIn("\(name).bias", [filters], fanIn: fan, &rng)) }
            node("Conv", name, inputs, ["kernel_shape": .ints([kernel.0, kernel.1]), "strides": .ints([stride, stride]),
                                        "pads": .ints([padding, padding, padding, padding]),
                                        "dilations": .ints([dilation, dilation]), "group": .int(groups)])
            out = [filters, oh, ow]
        case .pool(let kind, let size, let stride, let pad):
            guard s.count == 3 else { throw TrainingError("pooling needs C×H×W input, got \(shapeText(s))") }
            guard s[1] + 2 * pad >= size, s[2] + 2 * pad >= size else {
                throw TrainingError("a \(size)×\(size) window does not fit a \(s[1])×\(s[2]) input")
            }
            guard pad * 2 <= size else { throw TrainingError("padding \(pad) is more than half the window \(size)") }
            var attributes: [String: Attribute] = ["kernel_shape": .ints([size, size]),
                                                   "strides": .ints([stride, stride]),
                                                   "pads": .ints([pad, pad, pad, pad])]
            if kind == .average { attributes["count_include_pad"] = .int(1) }  // PyTorch's default
            node(kind == .max ? "MaxPool" : "AveragePool", name, [x], attributes)
            out = [s[0], (s[1] + 2 * pad - size) / stride + 1, (s[2] + 2 * pad - size) / stride + 1]
        case .globalAveragePool:
            guard s.count == 3 else { throw TrainingError("global pooling needs C×H×W input, got \(shapeText(s))") }
            node("GlobalAveragePool", name, [x])
            out = [s[0], 1, 1]
        case .activation(let kind):
            switch kind {
            case .relu: node("Relu", name, [x])
            case .leakyRelu(let slope): node("LeakyRelu", name, [x], ["alpha": .float(slope)])
            case .sigmoid: node("Sigmoid", name, [x])
            case .tanh: node("Tanh", name, [x])
            }
            out = s
        case .batchNorm:
            guard let c = s.first else { throw TrainingError("nothing to normalise") }
            let one = [Float](repeating: 1, count: c), zero = [Float](repeating: 0, count: c)
            node("BatchNormalization", name, [x, weight("\(name).weight", [c], one), weight("\(name).bias", [c], zero),
                                              weight("\(name).running_mean", [c], zero),
                                              weight("\(name).running_var", [c], one)],
                 ["epsilon": .float(1e-5), "momentum": .float(0.9)])  // ONNX's momentum: PyTorch's 0.1
            out = s
        case .flatten:
            node("Flatten", name, [x], ["axis": .int(1)])
            out = [s.reduce(1, *)]
        case .dropout(let p):
            node("Dropout", name, [x, weight("\(name).ratio", [], [p])])
            out = s
        case .linear(let outputs):
            var from = x
            if s.count > 1 { node("Flatten", name + "_flatten", [x], ["axis": .int(1)]); from = name + "_flatten" }
            let features = s.reduce(1, *), count = outputs ?? classes
            let w = try fanIn("\(name).weight", [count, features], fanIn: features, &rng)
            let b = try fanIn("\(name).bias", [count], fanIn: features, &rng)
            node("Gemm", name, [from, w, b], ["transB": .int(1)])
            out = [count]
        case .standardize(let mean, let std):
            guard s.first == mean.count else {
                throw TrainingError("standardize has \(mean.count) channels, the input \(shapeText(s))")
            }
            let shape = [1, mean.count] + [Int](repeating: 1, count: s.count - 1)
            node("Sub", name + "_centre", [x, weight("\(name).mean", shape, mean)])
            node("Div", name, [name + "_centre", weight("\(name).std", shape, std)])
            out = s
        case .add(let from):
            guard let other = shapes[from], from != name else {
                throw TrainingError("add \(from): no earlier layer has that name")
            }
            guard other == s else { throw TrainingError("cannot add \(from)'s \(shapeText(other)) to \(shapeText(s))") }
            node("Add", name, [x, from])
            out = s
        case .concat(let from):
            guard let other = shapes[from], from != name else {
                throw TrainingError("concat \(from): no earlier layer has that name")
            }
            guard other.count == s.count, other.count >= 2, other.dropFirst() == s.dropFirst() else {
                throw TrainingError("cannot join \(from)'s \(shapeText(other)) to \(shapeText(s)) along the channels")
            }
            node("Concat", name, [x, from], ["axis": .int(1)])
            out = [s[0] + other[0]] + s.dropFirst()
        }
        // A sample's values past the budget would be refused when training allocates them: here, naming the line.
        do { _ = try MemoryBudget.count(out, "\(name)'s output") } catch let e as ModelError {
            throw TrainingError(e.message)
        }
        shapes[name] = out
        current = name
    }

    /// The graph: input "pixels" (N×C×H×W), the last layer's output renamed "logits", opset 13.
    func finish() -> Graph {
        var nodes = self.nodes
        if !nodes.isEmpty { nodes[nodes.count - 1].outputs = ["logits"] }
        return Graph(nodes: nodes, initializers: initializers,
                     inputs: [ValueInfo(name: Self.inputName, shape: [nil] + input)],
                     outputs: ["logits"], opset: ONNXWriter.opset)
    }
}
