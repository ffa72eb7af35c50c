import Foundation
import Tensors

/// Reductions over axes: ReduceMean, ReduceSum, ReduceL2, ReduceMax, ReduceMin (sums in Double).
enum ReduceOps {
    enum Kind { case mean, sum, l2, max, min }

    static let table: [String: Operator] = [
        "ReduceMean": reduction(.mean), "ReduceSum": reduction(.sum), "ReduceL2": reduction(.l2),
        "ReduceMax": reduction(.max), "ReduceMin": reduction(.min),
    ]

    /// The axes reduced, or nil when the node asks for none (noop_with_empty_axes with no axes): an
    /// attribute until the opset where they became an input (13 for ReduceSum, 18 for the others); no
    /// axes, or an empty axes input, mean all of them.
    static func axes(_ n: Node, _ i: [Tensor?], _ opset: Int, rank: Int) throws -> Set<Int>? {
        let asInput = opset >= (n.opType == "ReduceSum" ? 13 : 18)
        let given = (asInput ? optional(i, 1)?.integers : n.ints("axes")) ?? []
        if given.isEmpty {
            return asInput && n.int("noop_with_empty_axes", default: 0) == 1 ? nil : Set(0..<rank)
        }
        return Set(try given.map { try axis($0, rank: rank, node: n) })
    }

    /// The input's shape with the reduced axes as ones.
    static func keptShape(_ shape: [Int], _ axes: Set<Int>) -> [Int] {
        shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    }

    static func reduction(_ kind: Kind) -> Operator {
        return { n, i, opset in
            let x = try required(i, 0, n)
            guard let axes = try axes(n, i, opset, rank: x.rank) else { return [x] }
            let kept = keptShape(x.shape, axes), count = axes.map { x.shape[$0] }.reduce(1, *)
            if count == 0 && (kind == .max || kind == .min) {
                throw ModelError.node(n, "cannot take the \(kind) of an empty set of values")
            }
            let start: Double = kind == .max ? -.infinity : (kind == .min ? .infinity : 0)
            var acc = [Double](repeating: start, count: kept.reduce(1, *))
            let strides = Tensor.strides(kept)
            var index = [Int](repeating: 0, count: x.rank)
            for v in x.storage {
                var o = 0
                for d in 0..<x.rank where !axes.contains(d) { o += index[d] * strides[d] }
                let w = Double(v)
                switch kind {
                case .mean, .sum: acc[o] += w
                case .l2: acc[o] += w * w
                case .max: acc[o] = Swift.max(acc[o], w)
                case .min: acc[o] = Swift.min(acc[o], w)
                }
                var k = x.rank - 1
                while k >= 0 { index[k] += 1; if index[k] < x.shape[k] { break }; index[k] = 0; k -= 1 }
            }
            let values = acc.map { a -> Float in
                switch kind {
                case .mean: return Float(a / Double(count))
                case .l2: return Float(a.squareRoot())
                default: return Float(a)
                }
            }
            let keep = n.int("keepdims", default: 1) == 1
            let shape = keep ? kept : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
            return [Tensor(shape: shape, values: values)]
        }
    }

    /// dY read at every input position it reduced, and the input, output and dY there.
    static func spread(_ c: BackwardContext) throws -> (x: Tensor, y: Tensor, g: Tensor, count: Int)? {
        let x = try c.input(0)
        guard let axes = try axes(c.node, c.inputs, c.opset, rank: x.rank) else { return nil }
        let kept = keptShape(x.shape, axes)
        let y = broadcast(c.outputs[0].reshaped(kept), to: x.shape)
        return (x, y, broadcast(c.gradient().reshaped(kept), to: x.shape), axes.map { x.shape[$0] }.reduce(1, *))
    }

    static let gradients: [String: GradientRule] = [
        // Each input value gets its mean's gradient divided by the count averaged.
        "ReduceMean": GradientRule(inputs: [0]) { c in
            guard let (_, _, g, count) = try spread(c) else { return [c.gradient()] }
            let share = 1 / Float(max(count, 1))
            return [mapValues(g) { $0 * share }]
        },
        "ReduceSum": GradientRule(inputs: [0]) { c in [try spread(c)?.g ?? c.gradient()] },
        // d‖x‖/dx = x / ‖x‖ (0 where the norm is 0).
        "ReduceL2": GradientRule(inputs: [0]) { c in
            guard let (x, y, g, _) = try spread(c) else { return [c.gradient()] }
            return [zipValues(x, y, g) { x, y, g in y > 0 ? g * x / y : 0 }]
        },
    ]
}
