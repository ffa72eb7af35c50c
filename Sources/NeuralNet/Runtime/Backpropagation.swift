import Convolution
import Dispatch
import Tensors

/// Reverse mode over a graph: a forward pass that keeps what the backward pass needs, then dLoss/dValue
/// for chosen values (weights, inputs) from dLoss/dOutput, through any DAG: skip connections,
/// concatenations, a value read by several nodes and weights shared between nodes (their gradients add).
///
/// Each operator's gradient is its `GradientRule`, beside its forward pass in the operator's file;
/// training mode runs `Operators.training` where it differs (batch statistics, dropout). Forward passes
/// run on the same kernels as `ModelRunner`, with the same choice of convolution path.
public struct Backpropagation: Sendable {
    public let graph: Graph
    /// The values gradients are taken for.
    public let sources: Set<String>
    /// Sources no output depends on (they would get no gradient).
    public let unreached: [String]
    let runner: ModelRunner
    /// Values that depend on a source through inputs gradients reach.
    let flows: Set<String>
    /// Nodes (indices into the graph) whose backward pass runs, in forward order.
    let active: [Int]
    /// Plans of nodes whose backward pass reads something prepared once (a fixed Conv's flipped, packed
    /// filters), by node index.
    let backwardPlans: [Int: StepPlan]
    /// Every node (indices into the graph) in the order the forward pass runs them.
    public var order: [Int] { runner.order }

    /// `sources`: weights (initializers), inputs and values computed inside (a layer's maps, for Grad-CAM)
    /// to differentiate with respect to; `outputs`: the
    /// values the loss reads (default: the graph's outputs). A node between the two without a
    /// backward pass is an error naming it, before anything runs.
    public init(_ graph: Graph, sources: Set<String>, outputs: [String]? = nil,
                convolutions: ConvOps.Path = .preferred) throws {
        self.graph = graph
        self.sources = sources
        // Sources that are weights become inputs of the runner, so it packs no copy of them.
        var fed = graph
        for name in sources.sorted() where graph.initializers[name] != nil {
            fed.inputs.append(ValueInfo(name: name, shape: graph.initializers[name]!.shape.map { $0 }))
            fed.initializers[name] = nil
        }
        runner = try ModelRunner(fed, convolutions: convolutions)
        let produced = Set(graph.nodes.flatMap(\.outputs))
        for name in sources where graph.initializers[name] == nil && !graph.inputs.contains(where: { $0.name == name })
            && !produced.contains(name) {
            throw ModelError("'\(name)' is not a weight, an input or a value of the model")
        }
        var flows = sources
        for i in runner.order {
            let node = graph.nodes[i], rule = Operators.gradients[node.opType]
            let reached = node.inputs.enumerated().contains { $0.element != "" && flows.contains($0.element)
                && (rule?.reaches($0.offset) ?? true) }
            if reached { for o in node.outputs where !o.isEmpty { flows.insert(o) } }
        }
        var needed = Set(outputs ?? graph.outputs)
        var active: [Int] = []
        for i in runner.order.reversed() {
            let node = graph.nodes[i]
            guard node.outputs.contains(where: needed.contains) else { continue }
            let rule = Operators.gradients[node.opType]
            let into = node.inputs.enumerated().filter { $0.element != "" && flows.contains($0.element)
                && (rule?.reaches($0.offset) ?? true) }
            guard !into.isEmpty else { continue }
            guard rule != nil else {
                throw ModelError("node '\(node.displayName)' (\(node.opType)) has no backward pass in cnnfilter, "
                                 + "and gradients must pass through it")
            }
            active.append(i)
            for (_, name) in into { needed.insert(name) }
        }
        self.flows = flows
        self.active = active.reversed()
        var backwardPlans: [Int: StepPlan] = [:]
        for i in active where graph.nodes[i].opType == "Conv" {
            let step = runner.steps[i], node = step.node
            guard node.inputs.count > 1, !sources.contains(node.inputs[1]), let w = graph.initializers[node.inputs[1]],
                  flows.contains(node.inputs[0]), let plan = step.plan.convolution,
                  let prepared = ConvOps.preparedBackward(node, weight: w, plan: plan) else { continue }
            backwardPlans[i] = StepPlan(convolution: prepared)
        }
        self.backwardPlans = backwardPlans
        unreached = sources.filter { !needed.contains($0) }.sorted()
    }

    /// What a forward pass computed, for its backward pass.
    public struct Pass {
        /// Every value of the graph, by name.
        public internal(set) var values: [String: Tensor]
        /// What each training-mode operator kept, by node index.
        var saved: [Int: [Tensor]] = [:]
        /// New values for weights the forward pass updates itself (batch norm's running statistics).
        public internal(set) var updates: [String: Tensor] = [:]
        public func output(_ name: String) -> Tensor? { values[name] }
    }

    /// Runs the graph on `feeds` (its inputs, and the current value of any weight, which replaces the
    /// stored one). `training`: batch norm uses the batch's statistics and dropout drops, with random
    /// numbers from `seed`.
    /// `timed` gets each node's index in the graph and its wall time in nanoseconds.
    public func forward(_ feeds: [String: Tensor], training: Bool, seed: UInt64 = 0,
                        timed: ((Int, UInt64) -> Void)? = nil) throws -> Pass {
        _ = allocatorTuned
        var values = graph.initializers
        for (name, t) in feeds { values[name] = t }
        for info in graph.inputs where values[info.name] == nil { throw ModelError("missing input '\(info.name)'") }
        var pass = Pass(values: values)
        var random = RandomSource(seed: seed)
        for i in runner.order {
            let step = runner.steps[i], node = step.node
            let args = node.inputs.map { $0.isEmpty ? nil : pass.values[$0] }
            let start = timed == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let outs: [Tensor]
            if training, let op = Operators.training[node.opType] {
                let step = try op(node, args, graph.opset, &random)
                outs = step.outputs
                pass.saved[i] = step.saved
                for (input, value) in step.updates where graph.initializers[node.inputs[input]] != nil {
                    pass.updates[node.inputs[input]] = value
                }
            } else {
                outs = try step.run(args, opset: graph.opset)
            }
            timed?(i, DispatchTime.now().uptimeNanoseconds - start)
            for (name, t) in zip(node.outputs, outs) where !name.isEmpty { pass.values[name] = t }
        }
        return pass
    }

    /// dLoss/dSource for every source, from dLoss/dOutput for the outputs the loss reads (a source
    /// the loss does not depend on gets zeros). `rules` may replace some operators' gradients (guided
    /// backpropagation's Relu).
    public func backward(_ pass: Pass, outputGradients: [String: Tensor], rules: BackwardRules = .exact,
                         timed: ((Int, UInt64) -> Void)? = nil) throws -> [String: Tensor] {
        var grads = outputGradients
        for i in active.reversed() {
            let node = graph.nodes[i]
            let outGrads = node.outputs.map { grads[$0] }
            guard outGrads.contains(where: { $0 != nil }) else { continue }
            let rule = rules.replaced[node.opType] ?? Operators.gradients[node.opType]!
            let inputs = node.inputs.map { $0.isEmpty ? nil : pass.values[$0] }
            let wanted = node.inputs.enumerated().map {
                $0.element != "" && flows.contains($0.element) && rule.reaches($0.offset)
            }
            let context = BackwardContext(node: node, inputs: inputs,
                                          outputs: node.outputs.map { pass.values[$0] ?? Tensor(shape: [0]) },
                                          saved: pass.saved[i] ?? [], outputGradients: outGrads, opset: graph.opset,
                                          wanted: wanted, plan: backwardPlans[i] ?? runner.steps[i].plan)
            let start = timed == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let inGrads = try rule.backward(context)
            timed?(i, DispatchTime.now().uptimeNanoseconds - start)
            // Outputs' gradients are spent (unless a source is also an output).
            for o in node.outputs where !sources.contains(o) { grads[o] = nil }
            for (j, g) in inGrads.enumerated() where j < wanted.count && wanted[j] {
                guard let g else { continue }
                let name = node.inputs[j]
                guard let x = inputs[j], g.shape == x.shape else {
                    throw ModelError.node(node,
                                          "its backward pass gave a gradient of shape \(g.shape) for input \(j + 1)")
                }
                if grads[name] == nil { grads[name] = g } else { grads[name]!.add(g) }
            }
        }
        var result: [String: Tensor] = [:]
        for name in sources {
            result[name] = grads[name] ?? Tensor(shape: (graph.initializers[name] ?? pass.values[name])?.shape ?? [0])
        }
        return result
    }
}

extension Graph {
    /// The weights training changes: the initializers that the learned inputs of Conv, ConvTranspose,
    /// Gemm, MatMul, BatchNormalization (scale, bias), InstanceNormalization and PRelu read. Constants
    /// that arithmetic reads (standardisation, shapes, running statistics) stay as they are.
    public var trainableWeights: [String] {
        let learned: [String: [Int]] = ["Conv": [1, 2], "ConvTranspose": [1, 2], "Gemm": [0, 1, 2], "MatMul": [0, 1],
                                        "BatchNormalization": [1, 2], "InstanceNormalization": [1, 2], "PRelu": [1]]
        var names: [String] = [], seen: Set<String> = []
        for node in nodes {
            for i in learned[node.opType] ?? [] where i < node.inputs.count {
                let name = node.inputs[i]
                if initializers[name] != nil, seen.insert(name).inserted { names.append(name) }
            }
        }
        return names
    }
}
