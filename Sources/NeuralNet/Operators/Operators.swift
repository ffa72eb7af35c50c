import Tensors

/// An operator: a node, its input values (nil for an omitted optional
/// input) and the model's opset; returns the node's outputs in order.
typealias Operator = (_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor]

/// The operators cnnfilter runs, by ONNX name, with their attributes as the
/// ONNX specification defines them for opsets 6 to 21 (`opsets`).
enum Operators {
    static let table: [String: Operator] = {
        var t: [String: Operator] = [:]
        for (k, v) in ConvOps.table { t[k] = v }
        for (k, v) in PoolOps.table { t[k] = v }
        for (k, v) in ElementwiseOps.table { t[k] = v }
        for (k, v) in LinearOps.table { t[k] = v }
        for (k, v) in NormOps.table { t[k] = v }
        for (k, v) in ShapeOps.table { t[k] = v }
        for (k, v) in LogicOps.table { t[k] = v }
        for (k, v) in ReduceOps.table { t[k] = v }
        for (k, v) in IndexOps.table { t[k] = v }
        for (k, v) in LayerNormOps.table { t[k] = v }
        for (k, v) in EinsumOps.table { t[k] = v }
        return t
    }()

    /// The names, for messages and the README.
    static var names: [String] { table.keys.sorted() }

    /// The default-domain opsets whose operators cnnfilter implements (a model outside is refused).
    public static let opsets = 6...21

    /// Operators that ONNX added after opset 6: the first opset that defines each. A model of an older
    /// opset that uses one is not a valid model. (GroupNormalization-18, with a scale and bias per group,
    /// is deprecated: onnx's checker refuses it and onnxruntime cannot check it, so 21's is the first here.)
    static let introduced: [String: Int] = [
        "Expand": 8, "Erf": 9, "Where": 9, "ConstantOfShape": 9, "Mod": 10, "Resize": 10, "Range": 11,
        "GatherND": 11, "ScatterND": 11, "Einsum": 12, "HardSwish": 14, "LayerNormalization": 17,
        "GroupNormalization": 21, "Gelu": 20,
    ]

    /// One line naming every node cnnfilter cannot run, grouped by operator in the order they first
    /// appear: operators it does not have, of another domain, or newer than the model's opset; nil
    /// when it can run them all. The loader asks before it reads any weight, the runner when it is built.
    static func unsupported(_ nodes: [(op: String, domain: String, node: String)], opset: Int) -> String? {
        var order: [String] = [], where_: [String: [String]] = [:], why: [String: String] = [:]
        for n in nodes {
            let name: String
            if !(n.domain.isEmpty || n.domain == "ai.onnx") {
                name = "\(n.domain).\(n.op)"
            } else if table[n.op] == nil {
                name = n.op
            } else if let first = introduced[n.op], first > opset {
                name = n.op; why[name] = "defined from opset \(first) on"
            } else { continue }
            if where_[name] == nil { order.append(name) }
            where_[name, default: []].append(n.node)
        }
        guard !order.isEmpty else { return nil }
        func entry(_ op: String) -> String {
            let names = where_[op]!
            let more = names.count > 1 ? " (and \(names.count - 1) more)" : ""
            return "\(op) in node '\(names[0])'\(more)" + (why[op].map { ": \($0)" } ?? "")
        }
        if order.count == 1 {
            return "unsupported operator \(entry(order[0])) (opset \(opset))"
        }
        return "\(order.count) unsupported operators (opset \(opset)): " + order.map(entry).joined(separator: ", ")
    }
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

/// The namespace of marks cnnfilter's loader gives nodes; the loader drops attributes of that name from a file.
let loaderAttributePrefix = "cnnfilter."
/// The mark the loader gives a Div or Mod whose operands are integers (`Graph.markIntegerArithmetic`).
let integerArithmetic = "cnnfilter.integer"

/// Clamps count values in place.
@inline(__always)
func clamp(_ p: UnsafeMutablePointer<Float>, count: Int, _ bounds: ClipBounds) {
    let lo = bounds.low, hi = bounds.high
    for i in 0..<count { p[i] = min(max(p[i], lo), hi) }
}

/// What an operator's backward pass is given: the node as it ran, its inputs and outputs, what its
/// training-mode forward kept (`TrainingForward.saved`) and dLoss/dOutput for each output.
struct BackwardContext {
    let node: Node
    let inputs: [Tensor?]
    let outputs: [Tensor]
    let saved: [Tensor]
    let outputGradients: [Tensor?]
    let opset: Int
    /// Which inputs need dLoss/dInput; the rule may return nil for the others.
    let wanted: [Bool]
    /// What the runner prepared for the node (a Conv's path and filters, for its dX convolution).
    var plan = StepPlan()

    func input(_ i: Int) throws -> Tensor { try required(inputs, i, node) }
    func wants(_ i: Int) -> Bool { i < wanted.count && wanted[i] }
    /// dLoss/dOutput i, zeros where no gradient reached that output.
    func gradient(_ i: Int = 0) -> Tensor {
        if i < outputGradients.count, let g = outputGradients[i] { return g }
        return Tensor(shape: outputs[i].shape)
    }
}

/// How a gradient flows back through an operator: the inputs it reaches (the others, such as shapes,
/// axes, bounds and running statistics, are constants to it) and dLoss/dInput for each input, nil
/// where none is wanted. Each operator family defines its rules beside its forward pass.
struct GradientRule {
    /// Inputs the gradient reaches; nil for all of them.
    let inputs: Set<Int>?
    let backward: (BackwardContext) throws -> [Tensor?]

    init(inputs: Set<Int>? = nil, _ backward: @escaping (BackwardContext) throws -> [Tensor?]) {
        self.inputs = inputs; self.backward = backward
    }

    /// An operator whose outputs are constants whatever its inputs (Shape, Constant).
    static let constant = GradientRule(inputs: []) { _ in [] }

    func reaches(_ i: Int) -> Bool { inputs?.contains(i) ?? true }
}

/// An operator's forward pass in training mode, where it differs from inference (batch statistics,
/// dropout): its outputs, what its backward needs, and new values for some of its inputs (the
/// running statistics), by input index.
struct TrainingForward {
    var outputs: [Tensor]
    var saved: [Tensor] = []
    var updates: [Int: Tensor] = [:]
}
typealias TrainingOperator = (_ node: Node, _ inputs: [Tensor?], _ opset: Int, _ random: inout RandomSource)
    throws -> TrainingForward

extension Operators {
    static let gradients: [String: GradientRule] = {
        var t: [String: GradientRule] = [:]
        for table in [ConvOps.gradients, PoolOps.gradients, ElementwiseOps.gradients, LinearOps.gradients,
                      NormOps.gradients, ShapeOps.gradients, LogicOps.gradients, ReduceOps.gradients,
                      IndexOps.gradients, LayerNormOps.gradients, EinsumOps.gradients] {
            for (k, v) in table { t[k] = v }
        }
        return t
    }()

    static let training: [String: TrainingOperator] = {
        var t: [String: TrainingOperator] = [:]
        for (k, v) in NormOps.training { t[k] = v }
        for (k, v) in ElementwiseOps.training { t[k] = v }
        return t
    }()

    /// The operators with a backward pass, for messages and the README.
    static var differentiable: [String] { gradients.filter { $0.value.inputs != [] }.keys.sorted() }
}
