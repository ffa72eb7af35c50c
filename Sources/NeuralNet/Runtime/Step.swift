import Tensors

/// The bounds of a Relu or Clip folded into the Conv or Add before it.
typealias ClipBounds = (low: Float, high: Float)

/// What the model runner decides for a node once, before any run: typed and kept beside the node, so no
/// operator reads a decision from attributes and a model file cannot carry one.
struct StepPlan {
    /// The Relu or Clip folded into this Conv or Add, applied to its output while it is still in the cache.
    var clip: ClipBounds?
    /// How a Conv runs, and its filters prepared for that.
    var convolution: ConvOps.Plan?
}

/// One node as the runner runs it: a fused node has the outputs of the activation it absorbed.
struct Step {
    /// The node's index in the graph.
    let index: Int
    var node: Node
    var plan = StepPlan()

    func run(_ inputs: [Tensor?], opset: Int) throws -> [Tensor] {
        if let convolution = plan.convolution {
            return try ConvOps.conv(node, inputs, plan: convolution, clip: plan.clip)
        }
        if let clip = plan.clip { return try ElementwiseOps.add(node, inputs, clip: clip) }
        return try Operators.table[node.opType]!(node, inputs, opset)
    }
}
