import Tensors

/// An operator: a node, its input values (nil for an omitted optional
/// input) and the model's opset; returns the node's outputs in order.
typealias Operator = (_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor]

/// The operators cnnfilter runs, by ONNX name, with their attributes as the
/// ONNX specification defines them for opsets 6 to 21.
enum Operators {
    static let table: [String: Operator] = {
        var t: [String: Operator] = [:]
        for (k, v) in ConvOps.table { t[k] = v }
        for (k, v) in PoolOps.table { t[k] = v }
        for (k, v) in ElementwiseOps.table { t[k] = v }
        for (k, v) in LinearOps.table { t[k] = v }
        for (k, v) in NormOps.table { t[k] = v }
        for (k, v) in ShapeOps.table { t[k] = v }
        return t
    }()

    /// The names, for messages and the README.
    static var names: [String] { table.keys.sorted() }
}

/// Input `i`, which the operator needs.
func required(_ inputs: [Tensor?], _ i: Int, _ node: Node) throws -> Tensor {
    guard i < inputs.count, let t = inputs[i] else {
        throw ModelError.node(node, "input \(i + 1) is missing")
    }
    return t
}

/// Input `i` if given.
func optional(_ inputs: [Tensor?], _ i: Int) -> Tensor? { i < inputs.count ? inputs[i] : nil }

/// The N×C×H×W dimensions of a 4-D tensor.
func nchw(_ t: Tensor, _ node: Node) throws -> (n: Int, c: Int, h: Int, w: Int) {
    guard t.rank == 4 else { throw ModelError.node(node, "expects a 4-D N×C×H×W input, got shape \(t.shape)") }
    return (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
}

/// The attribute the model runner gives a Conv or Add that applies the Relu
/// or Clip after it (ModelRunner.fusions): [low, high]. Not an ONNX name.
let fusedClip = "cnnfilter.fused_clip"
/// A Conv's weights in the direct kernel's panels (`DirectConv.packedFilters`, or `WinogradConv.packedFilters`
/// for the convolutions that run there), set by the model runner.
let packedFilters = "cnnfilter.packed_filters"
/// The `ConvOps.Path` a Conv with many filters takes, set by the model runner.
let convolutionPath = "cnnfilter.convolution_path"

/// The fused clip's bounds, if the runner gave the node one.
func fusedBounds(_ node: Node) -> (low: Float, high: Float)? {
    guard let b = node.floats(fusedClip), b.count == 2 else { return nil }
    return (b[0], b[1])
}

/// Clamps count values in place.
@inline(__always)
func clamp(_ p: UnsafeMutablePointer<Float>, count: Int, _ bounds: (low: Float, high: Float)) {
    let lo = bounds.low, hi = bounds.high
    for i in 0..<count { p[i] = min(max(p[i], lo), hi) }
}
