import NeuralNet

/// Which nodes of a graph are layers a person wants to see: a node computes a
/// layer when its value depends on the model input's values. Constants,
/// Identity copies and shape arithmetic (Shape, and Gather, Unsqueeze, Concat,
/// Cast, Reshape… of shapes or constants) are plumbing: exporters leave many of
/// them (ResNet-18: 16 Identity nodes, MobileNetV2: 109 Identity and Constant).
public enum GraphPlumbing {
    /// Operators whose output depends only on the shape of their input, never its values.
    static let shapeOnly: Set<String> = ["Shape", "Size", "ConstantOfShape", "EyeLike"]

    /// The indices of `graph.nodes` that are not layers.
    public static func plumbing(in graph: Graph) -> Set<Int> {
        var data = Set(graph.inputs.map(\.name))
        // Models exported with keep_initializers_as_inputs list weights among the inputs too.
        data.subtract(graph.initializers.keys)
        // ONNX lists nodes in dependency order; passes until nothing changes cover graphs that do not.
        var hidden: Set<Int> = []
        var changed = true
        while changed {
            changed = false
            hidden = []
            for (i, node) in graph.nodes.enumerated() {
                let readsData = !shapeOnly.contains(node.opType)
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
