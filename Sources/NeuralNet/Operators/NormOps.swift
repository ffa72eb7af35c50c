import Foundation
import Tensors

/// Normalisations: batch norm (inference, running statistics), instance norm, LRN.
enum NormOps {
    static let table: [String: Operator] = [
        "BatchNormalization": batchNorm,
        "InstanceNormalization": instanceNorm,
        "LRN": lrn,
    ]

    static func batchNorm(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(inputs, 0, node)
        let scale = try required(inputs, 1, node), b = try required(inputs, 2, node)
        let mean = try required(inputs, 3, node), variance = try required(inputs, 4, node)
        let eps = node.float("epsilon", default: 1e-5)
        guard x.rank >= 2 else { throw ModelError.node(node, "expects N×C×… input, got \(x.shape)") }
        let c = x.shape[1]
        guard [scale, b, mean, variance].allSatisfy({ $0.count == c }) else {
            throw ModelError.node(node, "scale, bias, mean and variance need \(c) values each")
        }
        let k = (0..<c).map { scale.storage[$0] / (variance.storage[$0] + eps).squareRoot() }
        return [scaled(x, by: k, plus: (0..<c).map { b.storage[$0] - mean.storage[$0] * k[$0] })]
    }

    static func instanceNorm(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        var x = try required(inputs, 0, node)
        let scale = try required(inputs, 1, node), b = try required(inputs, 2, node)
        let eps = node.float("epsilon", default: 1e-5)
        guard x.rank >= 3 else { throw ModelError.node(node, "expects N×C×… input, got \(x.shape)") }
        let c = x.shape[1], inner = x.shape[2...].reduce(1, *)
        for item in 0..<x.shape[0] { for ch in 0..<c {
            let base = (item * c + ch) * inner
            var mean: Double = 0
            for i in base..<(base + inner) { mean += Double(x.storage[i]) }
            mean /= Double(inner)
            var v: Double = 0
            for i in base..<(base + inner) { let d = Double(x.storage[i]) - mean; v += d * d }
            v /= Double(inner)
            let k = Double(scale.storage[ch]) / (v + Double(eps)).squareRoot()
            for i in base..<(base + inner) {
                x.storage[i] = Float((Double(x.storage[i]) - mean) * k + Double(b.storage[ch]))
            }
        } }
        return [x]
    }

    /// y = x / (bias + alpha / size · Σ x² over `size` neighbouring channels)^beta.
    static func lrn(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(inputs, 0, node)
        let (n, c, h, w) = try nchw(x, node)
        let size = node.int("size", default: 1)
        guard (1...windowLimit).contains(size) else {
            throw ModelError.node(node, "size \(size) must lie in 1…\(windowLimit)")
        }
        let alpha = node.float("alpha", default: 1e-4), beta = node.float("beta", default: 0.75), bias = node.float("bias", default: 1)
        var y = x
        let area = h * w
        for item in 0..<n { for ch in 0..<c {
            // Channels c - floor((size-1)/2) ... c + ceil((size-1)/2), as the ONNX specification says.
            let lo = max(0, ch - (size - 1) / 2), hi = min(c - 1, ch + (size - 1) - (size - 1) / 2)
            for p in 0..<area {
                var sum: Float = 0
                for cc in lo...hi { let v = x.storage[(item * c + cc) * area + p]; sum += v * v }
                let i = (item * c + ch) * area + p
                y.storage[i] = x.storage[i] / Foundation.pow(bias + alpha / Float(size) * sum, beta)
            }
        } }
        return [y]
    }

    // MARK: Training and backward

    /// Per channel of an N×C×… tensor: the number of values, their mean and 1/√(variance + ε) (biased
    /// variance, two passes: the mean, then the squares about it). Channels on all cores.
    static func channelStatistics(_ x: Tensor, epsilon: Float) -> (count: Int, mean: [Float], inverseStd: [Float]) {
        let n = x.shape[0], c = x.shape[1], inner = x.shape[2...].reduce(1, *), total = Double(max(n * inner, 1))
        var mean = [Float](repeating: 0, count: c), inv = mean
        x.storage.withUnsafeBufferPointer { xs in mean.withUnsafeMutableBufferPointer { ms in
            inv.withUnsafeMutableBufferPointer { vs in
                let xb = xs.baseAddress!, mb = ms.baseAddress!, vb = vs.baseAddress!
                parallelFor(c) { ch in
                    var sum: Double = 0, squares: Double = 0
                    for item in 0..<n { sum += Double(PlaneSums.sum(xb + (item * c + ch) * inner, inner) { $0 }) }
                    let mu = Float(sum / total), centre = PlaneSums.Lanes(repeating: mu)
                    for item in 0..<n {
                        squares += Double(PlaneSums.sum(xb + (item * c + ch) * inner, inner) {
                            ($0 - centre) * ($0 - centre)
                        })
                    }
                    mb[ch] = mu
                    vb[ch] = Float(1 / (squares / total + Double(epsilon)).squareRoot())
                }
            }
        } }
        return (n * inner, mean, inv)
    }

    /// y = x·k[ch] + offset[ch] over an N×C×… tensor, channels on all cores.
    static func scaled(_ x: Tensor, by k: [Float], plus offset: [Float]) -> Tensor {
        let n = x.shape[0], c = x.shape[1], inner = x.shape[2...].reduce(1, *)
        return x.storage.withUnsafeBufferPointer { xs in
            makeTensor(shape: x.shape) { ys in
                let xb = xs.baseAddress!, yb = ys.baseAddress!
                parallelFor(c) { ch in
                    let a = k[ch], b = offset[ch]
                    for item in 0..<n {
                        let base = (item * c + ch) * inner
                        for i in base..<(base + inner) { yb[i] = xb[i] * a + b }
                    }
                }
            }
        }
    }

    /// Batch norm in training: normalised with the batch's own statistics; the running mean and
    /// variance move towards them by 1 − momentum (ONNX's momentum, PyTorch's 1 − momentum), the
    /// variance unbiased as PyTorch keeps it. Saved for the backward pass: the batch mean and 1/σ.
    static let training: [String: TrainingOperator] = [
        "BatchNormalization": { node, inputs, _, _ in
            let x = try required(inputs, 0, node)
            let scale = try required(inputs, 1, node), b = try required(inputs, 2, node)
            let runningMean = try required(inputs, 3, node), runningVar = try required(inputs, 4, node)
            guard x.rank >= 2 else { throw ModelError.node(node, "expects N×C×… input, got \(x.shape)") }
            let c = x.shape[1], inner = x.shape[2...].reduce(1, *)
            guard [scale, b, runningMean, runningVar].allSatisfy({ $0.count == c }) else {
                throw ModelError.node(node, "scale, bias, mean and variance need \(c) values each")
            }
            let eps = node.float("epsilon", default: 1e-5), momentum = node.float("momentum", default: 0.9)
            let (count, mean, inv) = channelStatistics(x, epsilon: eps)
            let k = (0..<c).map { scale.storage[$0] * inv[$0] }
            let y = scaled(x, by: k, plus: (0..<c).map { b.storage[$0] - mean[$0] * k[$0] })
            let unbiased = Float(count) / Float(max(count - 1, 1))
            let newMean = Tensor(shape: runningMean.shape, values: (0..<c).map {
                runningMean.storage[$0] * momentum + mean[$0] * (1 - momentum)
            })
            let newVar = Tensor(shape: runningVar.shape, values: (0..<c).map {
                let variance = 1 / (inv[$0] * inv[$0]) - eps
                return runningVar.storage[$0] * momentum + variance * unbiased * (1 - momentum)
            })
            var outputs = [y]
            if node.outputs.count > 1 { outputs += [newMean, newVar] }
            return TrainingForward(outputs: outputs, saved: [Tensor(shape: [c], values: mean),
                                                             Tensor(shape: [c], values: inv)],
                                   updates: [3: newMean, 4: newVar])
        },
    ]

    static let gradients: [String: GradientRule] = [
        "BatchNormalization": GradientRule(inputs: [0, 1, 2], batchNormBackward)
    ]

    /// With x̂ = (x − μ)/σ: dScale = Σ g·x̂, dBias = Σ g; dx = scale/σ · (g − mean(g) − x̂·mean(g·x̂)) with
    /// the batch's statistics (training), or scale/σ · g with the running ones (inference).
    static func batchNormBackward(_ c: BackwardContext) throws -> [Tensor?] {
        let x = try c.input(0), scale = try c.input(1), g = c.gradient()
        let ch = x.shape[1], inner = x.shape[2...].reduce(1, *), n = x.shape[0]
        let batch = c.saved.count == 2
        let mean: [Float], inv: [Float]
        if batch { mean = c.saved[0].storage; inv = c.saved[1].storage } else {
            let eps = c.node.float("epsilon", default: 1e-5)
            mean = try c.input(3).storage
            inv = try c.input(4).storage.map { 1 / ($0 + eps).squareRoot() }
        }
        var dx = Tensor(shape: c.wants(0) ? x.shape : [0])
        var dScale = Tensor(shape: [ch]), dBias = Tensor(shape: [ch])
        let count = Float(n * inner), wantsX = c.wants(0)
        x.storage.withUnsafeBufferPointer { xs in g.storage.withUnsafeBufferPointer { gs in
            dx.storage.withUnsafeMutableBufferPointer { ds in dScale.storage.withUnsafeMutableBufferPointer { ss in
                dBias.storage.withUnsafeMutableBufferPointer { bs in
                    let xp = xs.baseAddress!, gp = gs.baseAddress!, dp = ds.baseAddress, sp = ss.baseAddress!,
                        bp = bs.baseAddress!
                    parallelFor(ch) { k in
                        let centre = PlaneSums.Lanes(repeating: mean[k])
                        var sumG: Double = 0, sumGX: Double = 0
                        for item in 0..<n {
                            let base = (item * ch + k) * inner
                            sumG += Double(PlaneSums.sum(gp + base, inner) { $0 })
                            sumGX += Double(PlaneSums.sum(gp + base, xp + base, inner) { g, x in g * (x - centre) })
                        }
                        sumGX *= Double(inv[k])
                        sp[k] = Float(sumGX); bp[k] = Float(sumG)
                        guard wantsX, let dp else { return }
                        let s = scale.storage[k] * inv[k], mu = mean[k], iv = inv[k]
                        let meanG = batch ? Float(sumG) / count : 0, meanGX = batch ? Float(sumGX) / count : 0
                        for item in 0..<n {
                            let base = (item * ch + k) * inner
                            for i in base..<(base + inner) { dp[i] = s * (gp[i] - meanG - (xp[i] - mu) * iv * meanGX) }
                        }
                    }
                }
            } }
        } }
        return [c.wants(0) ? dx : nil, dScale.reshaped(scale.shape), dBias.reshaped(try c.input(2).shape)]
    }
}
