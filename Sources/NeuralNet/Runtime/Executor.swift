import Tensors

/// Runs a graph: nodes in dependency order, each operator on its inputs.
public struct ModelRunner: Sendable {
    public let graph: Graph
    /// Nodes in an order where every input is computed before it is used.
    public let order: [Int]

    public init(_ graph: Graph) throws {
        self.graph = graph
        self.order = try Self.topologicalOrder(graph)
        for i in order where Operators.table[graph.nodes[i].opType] == nil {
            let n = graph.nodes[i]
            throw ModelError("unsupported operator \(n.opType) in node '\(n.displayName)' (opset \(graph.opset))")
        }
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
    public func run(_ inputs: [String: Tensor], observe: ((Node, [Tensor]) throws -> Void)? = nil) throws -> [String: Tensor] {
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
        // Last use of each value, so memory is released as the run goes.
        var lastUse: [String: Int] = [:]
        for (step, i) in order.enumerated() { for name in graph.nodes[i].inputs { lastUse[name] = step } }
        let keep = Set(graph.outputs)
        for (step, i) in order.enumerated() {
            let node = graph.nodes[i]
            let args = node.inputs.map { $0.isEmpty ? nil : values[$0] }
            let op = Operators.table[node.opType]!
            let outs = try op(node, args, graph.opset)
            for (name, t) in zip(node.outputs, outs) where !name.isEmpty { values[name] = t }
            try observe?(node, outs)
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

/// Every operator allocates its output, most of them above glibc's 128 KB
/// mmap threshold, and each such block comes back from munmap and faults its
/// pages in anew on the next run. Raised as the filter engine raises it
/// (Convolution's Pipeline), the blocks stay in the heap for reuse.
let allocatorTuned: Bool = {
    #if canImport(Glibc)
    _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 64 << 20)
    _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 128 << 20)
    #endif
    return true
}()

#if canImport(Glibc)
/// glibc's mallopt (malloc.h is not part of the Glibc module).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
