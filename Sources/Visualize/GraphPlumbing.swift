import NeuralNet

/// Which nodes of a graph are layers a person wants to see: a node computes a
/// layer when its value depends on the model input's values. Constants,
/// Identity copies and shape arithmetic are plumbing (`Graph.plumbingNodes`,
/// which `cnnfilter info` uses too).
public enum GraphPlumbing {
    /// The indices of `graph.nodes` that are not layers.
    public static func plumbing(in graph: Graph) -> Set<Int> { graph.plumbingNodes }
}
