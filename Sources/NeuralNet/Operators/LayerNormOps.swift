import Foundation
import Tensors

/// Normalisations with statistics computed on each input (transformers' layer norm, group norm), in
/// Float32 as their stash_type 1 asks, with the sums in Double.
enum LayerNormOps {
    static let table: [String: Operator] = ["LayerNormalization": layerNorm, "GroupNormalization": groupNorm]

    /// The mean and 1/√(variance + ε) (biased variance) of `count` values from `p`.
    static func statistics(_ p: UnsafePointer<Float>, count: Int, epsilon: Float) -> (mean: Float, inverse: Float) {
        var sum: Double = 0, squares: Double = 0
        for i in 0..<count { sum += Double(p[i]) }
        let mean = sum / Double(max(count, 1))
        for i in 0..<count { let d = Double(p[i]) - mean; squares += d * d }
        return (Float(mean), Float(1 / (squares / Double(max(count, 1)) + Double(epsilon)).squareRoot()))
    }

    /// The statistics are Float32 (stash_type 1, the default); other types are not implemented.
    static func checkStashType(_ node: Node) throws {
        let stash = node.int("stash_type", default: 1)
        guard stash == 1 else { throw ModelError.node(node, "stash_type \(stash) is not implemented (only 1, float)") }
    }

    /// `t` (a scale or bias) broadcast to `shape`, which it must broadcast to without widening it.
    static func fitted(_ t: Tensor, to shape: [Int], _ what: String, _ node: Node) throws -> [Float] {
        guard t.rank <= shape.count, broadcastShape(t.shape, shape) == shape else {
            throw ModelError.node(node, "\(what) of shape \(t.shape) does not broadcast to \(shape)")
        }
        return broadcast(t, to: shape).storage
    }

    /// Each run of the axes from `axis` on normalised, then scaled and shifted elementwise; the optional
    /// outputs Mean and InvStdDev have the input's shape with ones from `axis` on.
    static func layerNorm(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(inputs, 0, node), scale = try required(inputs, 1, node)
        try checkStashType(node)
        let a = try axis(node.int("axis", default: -1), rank: x.rank, node: node)
        let eps = node.float("epsilon", default: 1e-5)
        let normalized = Array(x.shape[a...]), length = normalized.reduce(1, *), rows = x.shape[..<a].reduce(1, *)
        let s = try fitted(scale, to: normalized, "scale", node)
        let b = try optional(inputs, 2).map { try fitted($0, to: normalized, "bias", node) }
        var means = [Float](repeating: 0, count: rows), inverses = means
        let y = x.storage.withUnsafeBufferPointer { p in
            makeTensor(shape: x.shape) { q in
                for r in 0..<rows {
                    let base = r * length
                    let (mean, inverse) = statistics(p.baseAddress! + base, count: length, epsilon: eps)
                    means[r] = mean; inverses[r] = inverse
                    for i in 0..<length { q[base + i] = (p[base + i] - mean) * inverse * s[i] + (b?[i] ?? 0) }
                }
            }
        }
        let kept = Array(x.shape[..<a]) + [Int](repeating: 1, count: x.rank - a)
        return [y, Tensor(shape: kept, values: means), Tensor(shape: kept, values: inverses)]
    }

    /// The channels of each item in `num_groups` groups, each normalised as one run, then scaled and
    /// shifted per channel (GroupNormalization-21; the runner refuses the deprecated 18).
    static func groupNorm(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(inputs, 0, node), scale = try required(inputs, 1, node)
        let bias = try required(inputs, 2, node)
        try checkStashType(node)
        guard x.rank >= 2 else { throw ModelError.node(node, "expects N×C×… input, got \(x.shape)") }
        let n = x.shape[0], c = x.shape[1], inner = x.shape[2...].reduce(1, *)
        let groups = node.int("num_groups", default: 0), eps = node.float("epsilon", default: 1e-5)
        guard groups >= 1, c % groups == 0 else {
            throw ModelError.node(node, "num_groups \(groups) does not divide \(c) channels")
        }
        guard scale.count == c, bias.count == c else {
            throw ModelError.node(node, "scale and bias need \(c) values each, got \(scale.count) and \(bias.count)")
        }
        let width = c / groups, run = width * inner
        let y = x.storage.withUnsafeBufferPointer { p in
            makeTensor(shape: x.shape) { q in
                for item in 0..<n { for g in 0..<groups {
                    let base = (item * c + g * width) * inner
                    let (mean, inverse) = statistics(p.baseAddress! + base, count: run, epsilon: eps)
                    for ch in 0..<width {
                        let k = g * width + ch, start = base + ch * inner
                        for i in start..<(start + inner) {
                            q[i] = (p[i] - mean) * inverse * scale.storage[k] + bias.storage[k]
                        }
                    }
                } }
            }
        }
        return [y]
    }

    // MARK: Backward

    static let gradients: [String: GradientRule] = [
        "LayerNormalization": GradientRule(inputs: [0, 1, 2], layerNormBackward),
    ]

    /// With x̂ = (x − μ)·inv and gs = g·scale along each run: dx = inv · (gs − mean(gs) − x̂·mean(gs·x̂));
    /// dScale = Σ g·x̂ and dBias = Σ g over the runs, summed back to their own shapes.
    static func layerNormBackward(_ c: BackwardContext) throws -> [Tensor?] {
        let x = try c.input(0), scale = try c.input(1), g = c.gradient()
        let a = try axis(c.node.int("axis", default: -1), rank: x.rank, node: c.node)
        let eps = c.node.float("epsilon", default: 1e-5)
        let normalized = Array(x.shape[a...]), length = normalized.reduce(1, *), rows = x.shape[..<a].reduce(1, *)
        let s = try fitted(scale, to: normalized, "scale", c.node)
        var dScale = [Float](repeating: 0, count: length), dBias = dScale
        let dx = x.storage.withUnsafeBufferPointer { p in g.storage.withUnsafeBufferPointer { q in
            makeTensor(shape: x.shape) { d in
                for r in 0..<rows {
                    let base = r * length
                    let (mean, inverse) = statistics(p.baseAddress! + base, count: length, epsilon: eps)
                    var sumGS: Double = 0, sumGSX: Double = 0
                    for i in 0..<length {
                        let xh = (p[base + i] - mean) * inverse, gi = q[base + i]
                        dScale[i] += gi * xh; dBias[i] += gi
                        sumGS += Double(gi * s[i]); sumGSX += Double(gi * s[i] * xh)
                    }
                    let meanGS = Float(sumGS / Double(length)), meanGSX = Float(sumGSX / Double(length))
                    for i in 0..<length {
                        let xh = (p[base + i] - mean) * inverse
                        d[base + i] = inverse * (q[base + i] * s[i] - meanGS - xh * meanGSX)
                    }
                }
            }
        } }
        let dB = optional(c.inputs, 2).map { unbroadcast(Tensor(shape: normalized, values: dBias), to: $0.shape) }
        return [c.wants(0) ? dx : nil,
                c.wants(1) ? unbroadcast(Tensor(shape: normalized, values: dScale), to: scale.shape) : nil,
                c.wants(2) ? dB : nil]
    }
}
