import Dispatch
import Convolution
import Tensors

/// Runs a graph: nodes in dependency order, each operator on its inputs.
public struct ModelRunner: Sendable {
    public let graph: Graph
    /// Nodes in an order where every input is computed before it is used.
    public let order: [Int]
    /// Every node, by its index in the graph, with what the runner prepared for it once (each Conv's path
    /// and, for the direct kernel, its filters packed here rather than on every run).
    let steps: [Step]
    /// Conv and Add nodes that apply the Relu or Clip reading them (see `fusions`), by node index,
    /// and the activation nodes they absorb; used only when nobody observes the layers.
    let fused: [Int: Step]
    let absorbed: Set<Int>
    /// The step (index into `order`) of each value's last use, so that memory is released as a run
    /// goes; computed once here rather than on every run.
    let lastUse: [String: Int]

    /// `convolutions`: how convolutions with many filters run (the direct kernel where the build has
    /// AVX-512, SGEMM otherwise).
    public init(_ graph: Graph, convolutions: ConvOps.Path = .preferred) throws {
        _ = BLAS.singleThreaded
        self.graph = graph
        self.order = try Self.topologicalOrder(graph)
        let named = order.map { (op: graph.nodes[$0].opType, domain: "", node: graph.nodes[$0].displayName) }
        if let why = Operators.unsupported(named, opset: graph.opset) { throw ModelError(why) }
        steps = Self.prepare(graph, path: convolutions)
        var lastUse: [String: Int] = [:]
        for (step, i) in order.enumerated() { for name in graph.nodes[i].inputs { lastUse[name] = step } }
        self.lastUse = lastUse
        (fused, absorbed) = Self.fusions(graph, steps)
    }

    /// Every node as a step; each Conv takes `path`, and for the direct kernel its weights are packed
    /// when they are an initializer the caller cannot replace (not also a graph input).
    static func prepare(_ g: Graph, path: ConvOps.Path) -> [Step] {
        let fed = Set(g.inputs.map(\.name))
        return g.nodes.enumerated().map { i, n in
            var step = Step(index: i, node: n)
            guard n.opType == "Conv" else { return step }
            var plan = ConvOps.Plan(path: path)
            if n.inputs.count > 1, let w = g.initializers[n.inputs[1]], !fed.contains(n.inputs[1]) {
                plan.packed = ConvOps.packed(w, group: n.int("group", default: 1), strides: n.ints("strides") ?? [1, 1],
                                             dilations: n.ints("dilations") ?? [1, 1], path: path)
            }
            step.plan.convolution = plan
            return step
        }
    }

    /// A Conv or Add whose output only a Relu, or a Clip with constant bounds, reads computes the
    /// clipped values itself (they are clamped while still in the cache, and no separate tensor is
    /// made for them): its step gets the clip's bounds and the activation's output.
    static func fusions(_ g: Graph, _ steps: [Step]) -> ([Int: Step], Set<Int>) {
        var readers: [String: [Int]] = [:], producer: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() {
            for name in n.inputs where !name.isEmpty { readers[name, default: []].append(i) }
            for name in n.outputs where !name.isEmpty { producer[name] = i }
        }
        /// A bound: absent (nil inside), or a one-value initializer or Constant; nil when not constant.
        func bound(_ node: Node, _ index: Int) -> Float?? {
            guard index < node.inputs.count, !node.inputs[index].isEmpty else { return .some(nil) }
            let name = node.inputs[index]
            if let t = g.initializers[name] { return t.count == 1 ? .some(t.storage[0]) : nil }
            guard let p = producer[name], g.nodes[p].opType == "Constant" else { return nil }
            switch g.nodes[p].attributes["value"] ?? g.nodes[p].attributes["value_float"] {
            case .tensor(let t)? where t.count == 1: return .some(t.storage[0])
            case .float(let v)?: return .some(v)
            default: return nil
            }
        }
        let outputs = Set(g.outputs)
        var fused: [Int: Step] = [:], absorbed: Set<Int> = []
        for (i, n) in g.nodes.enumerated() where n.opType == "Conv" || n.opType == "Add" {
            guard n.outputs.count == 1, let o = n.outputs.first, !o.isEmpty, !outputs.contains(o),
                  let r = readers[o], r.count == 1 else { continue }
            let a = g.nodes[r[0]]
            guard a.inputs.first == o, a.outputs.count == 1, !a.outputs[0].isEmpty else { continue }
            var low = -Float.infinity, high = Float.infinity
            switch a.opType {
            case "Relu":
                low = 0
            case "Clip" where g.opset < 11:
                low = a.float("min", default: low); high = a.float("max", default: high)
            case "Clip":
                guard let lo = bound(a, 1), let hi = bound(a, 2) else { continue }
                low = lo ?? low; high = hi ?? high
            default:
                continue
            }
            var f = steps[i]
            f.node.outputs = a.outputs
            f.plan.clip = (low, high)
            fused[i] = f
            absorbed.insert(r[0])
        }
        return (fused, absorbed)
    }

    /// Kahn's algorithm; a cycle or a missing input is an error naming the node.
    static func topologicalOrder(_ g: Graph) throws -> [Int] {
        var producer: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { for o in n.outputs where !o.isEmpty { producer[o] = i } }
        let available = Set(g.initializers.keys).union(g.inputs.map(\.name))
        var pending = [Int](repeating: 0, count: g.nodes.count)
        var users: [[Int]] = Array(repeating: [], count: g.nodes.count)
        for (i, n) in g.nodes.enumerated() {
            for name in n.inputs where !name.isEmpty && !available.contains(name) {
                guard let p = producer[name] else {
                    throw ModelError("node '\(n.displayName)' (\(n.opType)) reads '\(name)', which nothing produces")
                }
                pending[i] += 1
                users[p].append(i)
            }
        }
        var ready = (0..<g.nodes.count).filter { pending[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        while let i = ready.popLast() {
            order.append(i)
            for u in users[i] { pending[u] -= 1; if pending[u] == 0 { ready.append(u) } }
        }
        guard order.count == g.nodes.count else {
            let stuck = (0..<g.nodes.count).first { pending[$0] > 0 }.map { g.nodes[$0].displayName } ?? "?"
            throw ModelError("the graph has a cycle (node '\(stuck)' waits on itself)")
        }
        return order
    }

    /// Runs the graph. `observe` sees each node's outputs as they are made
    /// (for dumping activations); values no later node needs are dropped.
    /// `timed` gets each node that ran (after fusion) and its wall time in nanoseconds.
    public func run(_ inputs: [String: Tensor], observe: ((Node, [Tensor]) throws -> Void)? = nil,
                    timed: ((Node, UInt64) -> Void)? = nil) throws -> [String: Tensor] {
        _ = allocatorTuned
        var values = graph.initializers
        for info in graph.inputs {
            guard let t = inputs[info.name] else { throw ModelError("missing input '\(info.name)'") }
            guard info.shape.count == t.rank, zip(info.shape, t.shape).allSatisfy({ $0 == nil || $0 == $1 }) else {
                let want = info.shape.map { $0.map(String.init) ?? "?" }.joined(separator: "×")
                throw ModelError("input '\(info.name)' has shape \(t.shape.map(String.init).joined(separator: "×")) but the model expects \(want)")
            }
            values[info.name] = t
        }
        let keep = Set(graph.outputs)
        let fusing = observe == nil
        for (step, i) in order.enumerated() {
            let node = graph.nodes[i]
            if !(fusing && absorbed.contains(i)) {
                let run = (fusing ? fused[i] : nil) ?? steps[i]
                let args = run.node.inputs.map { $0.isEmpty ? nil : values[$0] }
                let start = timed == nil ? 0 : DispatchTime.now().uptimeNanoseconds
                let outs = try run.run(args, opset: graph.opset)
                timed?(node, DispatchTime.now().uptimeNanoseconds - start)
                for (name, t) in zip(run.node.outputs, outs) where !name.isEmpty { values[name] = t }
                try observe?(node, outs)
            }
            for name in node.inputs where lastUse[name] == step && !keep.contains(name) && graph.initializers[name] == nil {
                values[name] = nil
            }
        }
        var result: [String: Tensor] = [:]
        for name in graph.outputs {
            guard let t = values[name] else { throw ModelError("output '\(name)' was not computed") }
            result[name] = t
        }
        return result
    }
}

