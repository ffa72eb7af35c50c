import Tensors

/// One row of `cnnfilter info`: what a node makes and what it costs.
public struct LayerSummary: Sendable {
    public var name: String
    public var opType: String
    public var outputShape: [Int]
    /// Weights and biases the node reads from initializers.
    public var parameters: Int
    /// Multiply-adds of one forward pass.
    public var multiplyAdds: Int
}

public enum ModelSummary {
    /// Runs the model once on zeros (symbolic dimensions taken as 1) and
    /// reports each node's output shape, parameters and multiply-adds.
    public static func layers(of graph: Graph) throws -> [LayerSummary] {
        let runner = try ModelRunner(graph)
        var inputs: [String: Tensor] = [:]
        for info in graph.inputs { inputs[info.name] = Tensor(shape: info.shape.map { $0 ?? 1 }) }
        var rows: [LayerSummary] = []
        var shapes: [String: [Int]] = graph.initializers.mapValues(\.shape)
        for (k, v) in inputs { shapes[k] = v.shape }
        _ = try runner.run(inputs) { node, outputs in
            for (name, t) in zip(node.outputs, outputs) { shapes[name] = t.shape }
            let params = node.inputs.compactMap { graph.initializers[$0]?.count }.reduce(0, +)
            rows.append(LayerSummary(name: node.displayName, opType: node.opType, outputShape: outputs.first?.shape ?? [],
                                     parameters: params, multiplyAdds: multiplyAdds(node, shapes: shapes, output: outputs.first)))
        }
        return rows
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
