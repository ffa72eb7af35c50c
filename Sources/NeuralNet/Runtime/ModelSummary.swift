import Tensors

/// One row of `cnnfilter info`: what a node makes and what it costs.
public struct LayerSummary: Sendable {
    public var name: String
    public var opType: String
    public var outputShape: [Int]
    /// Weights and biases the node reads from initializers (each initializer
    /// counted once in a model, at its first reader; Identity nodes pass theirs on).
    public var parameters: Int
    /// Multiply-adds of one forward pass.
    public var multiplyAdds: Int
    /// Input pixels (per side) one output value depends on; nil once a
    /// layer sees the whole input (global pooling, fully connected).
    public var receptiveField: Int?
}

public enum ModelSummary {
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
        var rows: [LayerSummary] = []
        var shapes: [String: [Int]] = graph.initializers.mapValues(\.shape)
        for (k, v) in inputs { shapes[k] = v.shape }
        // Receptive field and the input-pixel step between neighbouring outputs, per value.
        var field: [String: (size: Int?, jump: Int)] = [:]
        for info in graph.inputs { field[info.name] = (1, 1) }
        // Values that are initializers (or Identity copies of one), and the initializers already counted.
        var weightOf = Dictionary(uniqueKeysWithValues: graph.initializers.keys.map { ($0, $0) })
        var counted: Set<String> = []
        _ = try runner.run(inputs) { node, outputs in
            for (name, t) in zip(node.outputs, outputs) { shapes[name] = t.shape }
            // Each initializer counts once, at the first node that reads it, also through
            // Identity nodes (exporters share equal initializers that way: the classic
            // PyTorch exporter gives ResNet-18's folded zero biases one initializer per width).
            if node.opType == "Identity", let source = node.inputs.first.flatMap({ weightOf[$0] }), let out = node.outputs.first {
                weightOf[out] = source
            }
            let weights = node.opType == "Identity" ? [] : node.inputs.compactMap { weightOf[$0] }
            let params = weights.filter { counted.insert($0).inserted }.compactMap { graph.initializers[$0]?.count }.reduce(0, +)
            let f = receptiveField(node, inputs: node.inputs.compactMap { field[$0] }, shapes: shapes)
            for name in node.outputs { field[name] = f }
            rows.append(LayerSummary(name: node.displayName, opType: node.opType, outputShape: outputs.first?.shape ?? [],
                                     parameters: params, multiplyAdds: multiplyAdds(node, shapes: shapes, output: outputs.first),
                                     receptiveField: f.size))
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
