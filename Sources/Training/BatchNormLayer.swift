import Dispatch
import Tensors

/// Batch normalisation over each channel (N×C×H×W: statistics over N, H, W;
/// N×F: over N). Training normalises with the batch's mean and biased
/// variance and updates running statistics (unbiased variance, momentum 0.1,
/// as PyTorch does); inference uses the running statistics.
public final class BatchNormLayer: Layer {
    public let channels: Int
    public let epsilon: Float = 1e-5, momentum: Float = 0.1
    public let scale: Parameter, shift: Parameter, runningMean: Parameter, runningVariance: Parameter
    private var normalized: [Float] = []
    private var inverseStd: [Float] = []
    private var shape: [Int] = []

    init(channels: Int, name: String) {
        self.channels = channels
        scale = Parameter(name: "\(name).weight", shape: [channels], value: .init(repeating: 1, count: channels), decays: false)
        shift = Parameter(name: "\(name).bias", shape: [channels], value: .init(repeating: 0, count: channels), decays: false)
        runningMean = Parameter(name: "\(name).running_mean", shape: [channels], value: .init(repeating: 0, count: channels), trainable: false)
        runningVariance = Parameter(name: "\(name).running_var", shape: [channels], value: .init(repeating: 1, count: channels), trainable: false)
    }

    public var description: String { "bn" }
    public var parameters: [Parameter] { [scale, shift, runningMean, runningVariance] }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard input.first == channels else { throw TrainingError("batch norm over \(channels) channels got \(shapeText(input))") }
        return input
    }

    /// (items, spatial) so that element (n, c, s) sits at (n·C + c)·spatial + s.
    private func layout(_ s: [Int]) -> (Int, Int) { (s[0], s.dropFirst(2).reduce(1, *)) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let (n, spatial) = layout(x.shape), c = channels, m = Float(n * spatial)
        var y = x
        if training {
            shape = x.shape
            inverseStd = [Float](repeating: 0, count: c)
            normalized = [Float](repeating: 0, count: x.count)
        }
        var means = [Float](repeating: 0, count: c), variances = [Float](repeating: 0, count: c)
        x.storage.withUnsafeBufferPointer { xs in
            means.withUnsafeMutableBufferPointer { mp in
                variances.withUnsafeMutableBufferPointer { vp in
                    let xb = xs.baseAddress!, mb = mp.baseAddress!, vb = vp.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: c) { ch in
                        if !training { mb[ch] = runningMean.value[ch]; vb[ch] = runningVariance.value[ch]; return }
                        var sum: Double = 0
                        for i in 0..<n { let p = xb + (i * c + ch) * spatial; for s in 0..<spatial { sum += Double(p[s]) } }
                        let mean = sum / Double(m)
                        var sq: Double = 0
                        for i in 0..<n { let p = xb + (i * c + ch) * spatial; for s in 0..<spatial { let d = Double(p[s]) - mean; sq += d * d } }
                        mb[ch] = Float(mean); vb[ch] = Float(sq / Double(m))
                    }
                }
            }
        }
        if training {
            for ch in 0..<c {
                let unbiased = m > 1 ? variances[ch] * m / (m - 1) : variances[ch]
                runningMean.value[ch] = (1 - momentum) * runningMean.value[ch] + momentum * means[ch]
                runningVariance.value[ch] = (1 - momentum) * runningVariance.value[ch] + momentum * unbiased
                inverseStd[ch] = 1 / (variances[ch] + epsilon).squareRoot()
            }
        }
        let inv = training ? inverseStd : variances.map { 1 / ($0 + epsilon).squareRoot() }
        let gamma = scale.value, beta = shift.value
        y.storage.withUnsafeMutableBufferPointer { ys in
            normalized.withUnsafeMutableBufferPointer { ns in
                let yb = ys.baseAddress!, nb = ns.baseAddress
                DispatchQueue.concurrentPerform(iterations: n) { i in
                    for ch in 0..<c {
                        let base = (i * c + ch) * spatial, mu = means[ch], k = inv[ch], g = gamma[ch], b = beta[ch]
                        for s in 0..<spatial {
                            let xhat = (yb[base + s] - mu) * k
                            if training { nb![base + s] = xhat }
                            yb[base + s] = g * xhat + b
                        }
                    }
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (n, spatial) = layout(shape), c = channels, m = Float(n * spatial)
        // Per channel: Σdy and Σdy·x̂ give dβ, dγ and the two correction terms.
        var sumDy = [Float](repeating: 0, count: c), sumDyXhat = [Float](repeating: 0, count: c)
        var dx = dy
        let gamma = scale.value, inv = inverseStd
        dy.storage.withUnsafeBufferPointer { ds in
            normalized.withUnsafeBufferPointer { ns in
                sumDy.withUnsafeMutableBufferPointer { sa in
                    sumDyXhat.withUnsafeMutableBufferPointer { sb in
                        dx.storage.withUnsafeMutableBufferPointer { d in
                            let g = ds.baseAddress!, xh = ns.baseAddress!, out = d.baseAddress!, a = sa.baseAddress!, b = sb.baseAddress!
                            DispatchQueue.concurrentPerform(iterations: c) { ch in
                                var sa: Float = 0, sb: Float = 0
                                for i in 0..<n {
                                    let base = (i * c + ch) * spatial
                                    for s in 0..<spatial { sa += g[base + s]; sb += g[base + s] * xh[base + s] }
                                }
                                a[ch] = sa; b[ch] = sb
                                let k = gamma[ch] * inv[ch] / m
                                for i in 0..<n {
                                    let base = (i * c + ch) * spatial
                                    for s in 0..<spatial { out[base + s] = k * (m * g[base + s] - sa - xh[base + s] * sb) }
                                }
                            }
                        }
                    }
                }
            }
        }
        for ch in 0..<c { shift.grad[ch] += sumDy[ch]; scale.grad[ch] += sumDyXhat[ch] }
        return dx
    }
}
