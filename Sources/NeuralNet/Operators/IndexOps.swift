import Tensors

/// Operators that make tensors from shapes and indices: Expand, Range, GatherND, ScatterND. Shapes and indices
/// arrive as int64 tensors held as Float32 (exact up to 2^24), as the loader reads them.
enum IndexOps {
    static let table: [String: Operator] = [
        "Expand": expand, "Range": range, "GatherND": gatherND, "ScatterND": scatterND,
    ]

    /// The input broadcast with `shape` (both ways, as NumPy broadcasts two operands).
    static func expand(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(inputs, 0, node), target = try required(inputs, 1, node).integers
        guard target.allSatisfy({ $0 >= 0 }), let shape = broadcastShape(x.shape, target) else {
            throw ModelError.node(node, "shape \(x.shape) does not broadcast to \(target)")
        }
        _ = try MemoryBudget.count(shape, "the output", node: node)
        return [broadcast(x, to: shape)]
    }

    /// start, start + delta, … up to (not including) limit: max(⌈(limit − start) / delta⌉, 0) values.
    static func range(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let values = try (0..<3).map { i -> Float in
            guard let v = try required(inputs, i, node).scalar else {
                throw ModelError.node(node, "start, limit and delta must be scalars")
            }
            return v
        }
        let start = values[0], limit = values[1], delta = values[2]
        guard delta != 0, delta.isFinite, start.isFinite, limit.isFinite else {
            throw ModelError.node(node, "cannot count from \(start) to \(limit) by \(delta)")
        }
        let steps = ((Double(limit) - Double(start)) / Double(delta)).rounded(.up)
        guard steps <= Double(Int.max / 2) else { throw ModelError.node(node, "\(steps) values are too many") }
        let count = max(Int(steps), 0)
        _ = try MemoryBudget.count([count], "the output", node: node)
        return [makeTensor(shape: [count]) { q in for i in 0..<count { q[i] = start + Float(i) * delta } }]
    }

    /// The slices of `data` the last axis of `indices` addresses, after `batch_dims` leading axes that
    /// data and indices share (each batch item indexes its own part of data).
    static func gatherND(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let data = try required(inputs, 0, node), indices = try required(inputs, 1, node)
        let b = node.int("batch_dims", default: 0)
        guard indices.rank >= 1, let k = indices.shape.last, b >= 0, b < indices.rank, b + k <= data.rank,
              Array(data.shape[..<b]) == Array(indices.shape[..<b]) else {
            throw ModelError.node(node, "indices of shape \(indices.shape) with batch_dims \(b) do not address "
                                  + "data of shape \(data.shape)")
        }
        let shape = Array(indices.shape.dropLast()) + Array(data.shape[(b + k)...])
        _ = try MemoryBudget.count(shape, "the output", node: node)
        let batches = data.shape[..<b].reduce(1, *), perBatch = indices.shape[b..<(indices.rank - 1)].reduce(1, *)
        let slice = data.shape[(b + k)...].reduce(1, *), batchSize = data.shape[b...].reduce(1, *)
        let strides = Tensor.strides(Array(data.shape[b...])), addresses = indices.integers
        var values: [Float] = []
        values.reserveCapacity(shape.reduce(1, *))
        for batch in 0..<batches { for u in 0..<perBatch {
            var base = batch * batchSize
            for d in 0..<k {
                let raw = addresses[(batch * perBatch + u) * k + d], dim = data.shape[b + d]
                let j = raw < 0 ? raw + dim : raw
                guard j >= 0 && j < dim else {
                    throw ModelError.node(node, "index \(raw) is out of range for an axis of \(dim)")
                }
                base += j * strides[d]
            }
            values += data.storage[base..<(base + slice)]
        } }
        return [Tensor(shape: shape, values: values)]
    }

    /// A copy of `data` with the slices the last axis of `indices` addresses replaced by `updates`
    /// (reduction none), or combined with them (add, mul; max and min from opset 18).
    static func scatterND(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let data = try required(inputs, 0, node), indices = try required(inputs, 1, node)
        let updates = try required(inputs, 2, node)
        let reduction = node.string("reduction", default: "none")
        let combine: ((Float, Float) -> Float)?
        switch reduction {
        case "none": combine = nil
        case "add" where opset >= 16: combine = (+)
        case "mul" where opset >= 16: combine = (*)
        case "max" where opset >= 18: combine = { Swift.max($0, $1) }
        case "min" where opset >= 18: combine = { Swift.min($0, $1) }
        default: throw ModelError.node(node, "reduction '\(reduction)' is not defined at opset \(opset)")
        }
        guard indices.rank >= 1, let k = indices.shape.last, k <= data.rank else {
            throw ModelError.node(node, "indices of shape \(indices.shape) do not address data of shape \(data.shape)")
        }
        let expected = Array(indices.shape.dropLast()) + Array(data.shape[k...])
        guard updates.shape == expected else {
            throw ModelError.node(node, "updates have shape \(updates.shape), expected \(expected)")
        }
        let slice = data.shape[k...].reduce(1, *), strides = Tensor.strides(data.shape)
        let addresses = indices.integers
        var out = data
        try out.storage.withUnsafeMutableBufferPointer { q in
            for u in 0..<indices.shape.dropLast().reduce(1, *) {
                var base = 0
                for d in 0..<k {
                    let raw = addresses[u * k + d], dim = data.shape[d]
                    let j = raw < 0 ? raw + dim : raw
                    guard j >= 0 && j < dim else {
                        throw ModelError.node(node, "index \(raw) is out of range for an axis of \(dim)")
                    }
                    base += j * strides[d]
                }
                for i in 0..<slice {
                    let v = updates.storage[u * slice + i]
                    q[base + i] = combine.map { $0(q[base + i], v) } ?? v
                }
            }
        }
        return [out]
    }

    // MARK: Backward

    static let gradients: [String: GradientRule] = [
        // The output's gradient summed over the axes the input was repeated along.
        "Expand": GradientRule(inputs: [0]) { c in [unbroadcast(c.gradient(), to: try c.input(0).shape)] },
        "Range": .constant,
    ]
}
