import Tensors

/// One row of `cnnfilter info`: what a node makes and what it costs.
public struct LayerSummary: Sendable {
    public var name: String
    public var opType: String
    public var outputShape: [Int]
    /// Parameters the node reads (each counted once in a model, at its first reader; Identity nodes pass
    /// theirs on): `ModelSummary.parameterSlots`. Constants (a Sub's mean, a Clip's bounds, a Reshape's
    /// shape) are not parameters.
    public var parameters: Int
    /// The part of `parameters` that training learns (all but batch normalisation's running statistics).
    public var trainable: Int
    /// Multiply-adds of one forward pass.
    public var multiplyAdds: Int
    /// Input pixels (per side) one output value depends on; nil once a
    /// layer sees the whole input (global pooling, fully connected) or when
    /// the value does not depend on the input at all (`constant`).
    public var receptiveField: Int?
    /// The value does not depend on the model input's values (Constant, shape arithmetic), or the node is an
    /// Identity copy: plumbing exporters leave, not a layer (`Graph.plumbingNodes`).
    public var plumbing: Bool
    /// The value does not depend on the model input at all.
    public var constant: Bool
}

public enum ModelSummary {
    /// The inputs of each operator that hold parameters, and whether training learns them. Any other
    /// initializer or Constant a node reads is a constant. An Add's initializer operand is a bias
    /// (exporters write a fully connected layer as MatMul then Add).
    public static let parameterSlots: [String: [Int: Bool]] = [
        "Conv": [1: true, 2: true], "ConvTranspose": [1: true, 2: true],
        "Gemm": [0: true, 1: true, 2: true], "MatMul": [0: true, 1: true],
        "BatchNormalization": [1: true, 2: true, 3: false, 4: false],
        "InstanceNormalization": [1: true, 2: true], "LayerNormalization": [1: true, 2: true],
        "GroupNormalization": [1: true, 2: true], "PRelu": [1: true],
        "Add": [0: true, 1: true],
    ]

    /// Runs the model once on zeros (symbolic dimensions taken as 1) and
    /// reports each node's output shape, parameters and multiply-adds.
    public static func layers(of graph: Graph) throws -> [LayerSummary] {
        let runner = try ModelRunner(graph)
        var inputs: [String: Tensor] = [:]
        for info in graph.inputs {
            let shape = info.shape.map { $0 ?? 1 }
            _ = try MemoryBudget.count(shape, "input '\(info.name)'")
            inputs[info.name] = Tensor(shape: shape)
        }
        let plumbing = graph.plumbingNodes
        let nodeIndex = Dictionary(graph.nodes.enumerated().map { ($1.outputs.first ?? "", $0) },
                                   uniquingKeysWith: { a, _ in a })
        var rows: [LayerSummary] = []
        var shapes: [String: [Int]] = graph.initializers.mapValues(\.shape)
        for (k, v) in inputs { shapes[k] = v.shape }
        // Receptive field and the input-pixel step between neighbouring outputs, for each value that
        // depends on the input (constants have none, so a Clip's bounds do not widen it).
        var field: [String: (size: Int?, jump: Int)] = [:]
        let data = Set(graph.inputs.map(\.name)).subtracting(graph.initializers.keys)
        for name in data { field[name] = (1, 1) }
        // Values that are initializers or Constant outputs (or Identity copies of one), their sizes,
        // and the ones already counted.
        var weightOf = Dictionary(uniqueKeysWithValues: graph.initializers.keys.map { ($0, $0) })
        var size = graph.initializers.mapValues(\.count)
        var counted: Set<String> = []
        _ = try runner.run(inputs) { node, outputs in
            for (name, t) in zip(node.outputs, outputs) { shapes[name] = t.shape }
            // Each parameter counts once, at the first node that reads it, also through Identity nodes
            // (exporters share equal initializers that way: the classic PyTorch exporter gives
            // ResNet-18's folded zero biases one initializer per width).
            if node.opType == "Identity", let source = node.inputs.first.flatMap({ weightOf[$0] }), let out = node.outputs.first {
                weightOf[out] = source
            }
            if node.opType == "Constant", let out = node.outputs.first,
               case .tensor(let t)? = node.attributes["value"] {
                weightOf[out] = out; size[out] = t.count
            }
            var params = 0, trainable = 0
            for (slot, learned) in parameterSlots[node.opType] ?? [:] where slot < node.inputs.count {
                guard let w = weightOf[node.inputs[slot]], counted.insert(w).inserted, let n = size[w] else { continue }
                params += n
                if learned { trainable += n }
            }
            // Shape arithmetic reads the input's shape, never its values.
            let reads = node.inputs.compactMap { field[$0] }
            let constant = reads.isEmpty || Graph.shapeOnly.contains(node.opType)
            if !constant {
                let f = receptiveField(node, inputs: reads, shapes: shapes)
                for name in node.outputs where !name.isEmpty { field[name] = f }
            }
            let hidden = nodeIndex[node.outputs.first ?? ""].map(plumbing.contains) ?? false
            rows.append(LayerSummary(name: node.displayName, opType: node.opType, outputShape: outputs.first?.shape ?? [],
                                     parameters: params, trainable: trainable,
                                     multiplyAdds: multiplyAdds(node, shapes: shapes, output: outputs.first),
                                     receptiveField: constant ? nil : field[node.outputs.first ?? ""]?.size,
                                     plumbing: hidden, constant: constant))
        }
        return rows
    }

    /// rf_out = rf_in + (k_eff − 1) · jump_in and jump_out = jump_in · stride
    /// for windows (first spatial axis); the widest input wins elsewhere.
    static func receptiveField(_ node: Node, inputs: [(size: Int?, jump: Int)], shapes: [String: [Int]]) -> (size: Int?, jump: Int) {
        guard !inputs.isEmpty else { return (nil, 1) }
        if inputs.contains(where: { $0.size == nil }) { return (nil, 1) }
        let size = inputs.map { $0.size! }.max()!, jump = inputs.map(\.jump).max()!
        switch node.opType {
        case "Conv", "MaxPool", "AveragePool":
            // A Conv may leave kernel_shape out: its weight (M×C×kh×kw) says it.
            let weight = node.opType == "Conv" && node.inputs.count > 1 ? shapes[node.inputs[1]] : nil
            let k = node.ints("kernel_shape")?.first ?? (weight?.count == 4 ? weight![2] : 1)
            let d = node.ints("dilations")?.first ?? 1, s = node.ints("strides")?.first ?? 1
            return (size + ((k - 1) * d) * jump, jump * s)
        case "GlobalAveragePool", "GlobalMaxPool", "Gemm", "MatMul", "Flatten", "Reshape", "ReduceMean":
            return (nil, jump)
        default:
            return (size, jump)
        }
    }

    static func multiplyAdds(_ node: Node, shapes: [String: [Int]], output: Tensor?) -> Int {
        guard let output else { return 0 }
        switch node.opType {
        case "Conv":
            guard node.inputs.count > 1, let w = shapes[node.inputs[1]], w.count == 4 else { return 0 }
            return output.count * w[1] * w[2] * w[3]
        case "Gemm", "MatMul":
            guard let a = shapes[node.inputs[0]], let last = a.last else { return 0 }
            let transA = node.int("transA", default: 0) == 1
            let k = node.opType == "Gemm" && transA ? a[0] : last
            return output.count * k
        default:
            return 0
        }
    }
}

extension Graph {
    /// Operators whose output depends only on the shape of their input, never its values.
    static let shapeOnly: Set<String> = ["Shape", "Size", "ConstantOfShape", "EyeLike"]

    /// The indices of `nodes` that are not layers a person wants to see: a node computes a layer when
    /// its value depends on the model input's values. Constants, Identity copies and shape arithmetic
    /// (Shape, and Gather, Unsqueeze, Concat, Cast, Reshape… of shapes or constants) are plumbing:
    /// exporters leave many of them (ResNet-18: 16 Identity nodes, MobileNetV2: 109 Identity and Constant).
    public var plumbingNodes: Set<Int> {
        var data = Set(inputs.map(\.name))
        // Models exported with keep_initializers_as_inputs list weights among the inputs too.
        data.subtract(initializers.keys)
        // ONNX lists nodes in dependency order; passes until nothing changes cover graphs that do not.
        var hidden: Set<Int> = []
        var changed = true
        while changed {
            changed = false
            hidden = []
            for (i, node) in nodes.enumerated() {
                let readsData = !Graph.shapeOnly.contains(node.opType)
                    && node.inputs.contains { !$0.isEmpty && data.contains($0) }
                if readsData {
                    for o in node.outputs where !o.isEmpty && !data.contains(o) { data.insert(o); changed = true }
                }
                if !readsData || node.opType == "Identity" { hidden.insert(i) }
            }
        }
        return hidden
    }
}

extension ModelSummary {
    /// `cnnfilter info`'s table: a heading line, one row per layer (plumbing only with `allNodes`), the
    /// totals over every node, and how to name the layers elsewhere.
    public static func table(heading: String, layers: [LayerSummary], allNodes: Bool = false) -> String {
        let shown = layers.filter { allNodes || !$0.plumbing }
        let nameWidth = max(5, shown.map(\.name.count).max() ?? 0)
        let opWidth = max(8, shown.map(\.opType.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        var lines = [heading]
        lines.append("\(pad("layer", nameWidth))  \(pad("operator", opWidth))  \(pad("output", 16))  "
                     + "\(pad("parameters", 11))  \(pad("trainable", 11))  \(pad("multiply-adds", 14))  "
                     + "receptive field")
        for l in shown {
            let field = l.constant ? "-" : l.receptiveField.map(String.init) ?? "all"
            let shape = l.outputShape.isEmpty ? "scalar" : l.outputShape.map(String.init).joined(separator: "×")
            let row = "\(pad(l.name, nameWidth))  \(pad(l.opType, opWidth))  "
                + "\(pad(shape, 16))  \(pad(grouped(l.parameters), 11))  "
                + "\(pad(grouped(l.trainable), 11))  \(pad(grouped(l.multiplyAdds), 14))  \(field)"
            lines.append(String(row.reversed().drop { $0 == " " }.reversed()))
        }
        let params = layers.map(\.parameters).reduce(0, +), trainable = layers.map(\.trainable).reduce(0, +)
        lines.append("total: \(grouped(params)) parameters (\(grouped(trainable)) trainable), "
                     + "\(grouped(layers.map(\.multiplyAdds).reduce(0, +))) multiply-adds")
        let hidden = layers.count - shown.count
        if hidden > 0 {
            lines.append("\(hidden) nodes not shown (constants, Identity, shape arithmetic): --all-nodes shows them")
        }
        lines.append("--layers (dump-activations) and --layer (show-filters) take these names in any case, "
                     + "their beginnings, or operators (Conv)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// 61706 as "61,706".
    public static func grouped(_ v: Int) -> String {
        let digits = String(v.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (v < 0 ? "-" : "") + out
    }
}
