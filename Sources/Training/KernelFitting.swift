import COpenBLAS
import Foundation
import Kernels
import Tensors

/// Learns the kernel that maps input images to target images by gradient
/// descent on the mean squared error over the interior (the pixels where the
/// kernel lies wholly inside the image, so borders do not matter).
///
/// Without a bank, one 2-D kernel (and a bias) is applied to every channel on
/// its own, as `--kernel` applies it; with a bank of K, K filters span all
/// input channels and the target has K channels. The error is quadratic in
/// the weights, so the photos are read once into the Gram matrix XᵀX and the
/// vectors Xᵀt, and every step's exact gradient, 2(XᵀX·w − Xᵀt)/P, costs
/// D² operations (D = weights per filter + 1) instead of a pass over the pixels.
public struct KernelFitting {
    public struct Pair {
        public var input: Tensor, target: Tensor, name: String
        public init(input: Tensor, target: Tensor, name: String) { self.input = input; self.target = target; self.name = name }
    }

    public var size: (height: Int, width: Int)
    /// nil: one kernel for every channel; K: a bank of K filters across the channels.
    public var bank: Int?
    public var steps = 3000
    /// nil: heavy-ball momentum tuned to the problem (see `tuned`); otherwise
    /// this rule and rate with a cosine decay.
    public var optimizer: OptimizerSettings?
    public var seed: UInt64 = 1
    /// The settings the last `fit` used.
    public private(set) var used = OptimizerSettings()

    public init(size: (Int, Int), bank: Int? = nil) {
        self.size = (size.0, size.1); self.bank = bank
    }

    /// Gradient descent with momentum at the rate and momentum that are
    /// optimal for a quadratic whose Hessian has extreme eigenvalues L and μ
    /// (Polyak's heavy ball: rate 4/(√L+√μ)², momentum ((√L−√μ)/(√L+√μ))²).
    /// Photos make the problem ill-conditioned (neighbouring pixels are
    /// alike), where a fixed rate either crawls or diverges; this converges
    /// in about √(L/μ) steps per digit.
    static func tuned(hessian h: [Double], dimension d: Int) -> OptimizerSettings {
        let values = symmetricEigenvalues(h, d)
        // 5 % above the largest: at the optimal rate heavy ball sits on its stability
        // limit when μ ≪ L, and rounding must not push it over.
        let largest = max(values.max() ?? 1, 1e-30) * 1.05
        let smallest = min(max(values.min() ?? 0, largest * 1e-12), largest)
        let a = largest.squareRoot(), b = smallest.squareRoot()
        var s = OptimizerSettings()
        s.rule = .momentum
        s.learningRate = Float(4 / ((a + b) * (a + b)))
        s.momentum = Float(((a - b) / (a + b)) * ((a - b) / (a + b)))
        return s
    }

    /// Eigenvalues of a small symmetric matrix by cyclic Jacobi rotations
    /// (exact to rounding; D is at most a few hundred here).
    static func symmetricEigenvalues(_ matrix: [Double], _ d: Int) -> [Double] {
        var a = matrix
        for _ in 0..<60 {
            var off = 0.0
            for p in 0..<d { for q in (p + 1)..<d { off += a[p * d + q] * a[p * d + q] } }
            if off < 1e-30 { break }
            for p in 0..<d { for q in (p + 1)..<d where a[p * d + q] != 0 {
                let theta = (a[q * d + q] - a[p * d + p]) / (2 * a[p * d + q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<d { // columns p and q
                    let akp = a[k * d + p], akq = a[k * d + q]
                    a[k * d + p] = c * akp - s * akq; a[k * d + q] = s * akp + c * akq
                }
                for k in 0..<d { // rows p and q
                    let apk = a[p * d + k], aqk = a[q * d + k]
                    a[p * d + k] = c * apk - s * aqk; a[q * d + k] = s * apk + c * aqk
                }
            } }
        }
        return (0..<d).map { a[$0 * d + $0] }
    }

    /// The statistics of all pairs: per filter k, G (D×D, shared) and bₖ, tᵀt, P.
    struct Moments {
        var gram: [Double], cross: [[Double]], targetSquares: [Double], count: Int, dimension: Int
    }

    /// Weights per filter, bias last.
    var dimension: Int { (bank == nil ? 1 : channels) * size.height * size.width + 1 }
    private var channels = 1

    /// Checks the pairs and returns how the input and target channels pair up.
    mutating func check(_ pairs: [Pair]) throws {
        guard let first = pairs.first else { throw TrainingError("train-kernel needs at least one --input/--target pair") }
        channels = first.input.planes.channels
        for p in pairs {
            let i = p.input.planes, t = p.target.planes
            guard i.channels == channels else { throw TrainingError("\(p.name): every input needs \(channels) channels, this one has \(i.channels)") }
            let valid = (i.height - size.height + 1, i.width - size.width + 1)
            guard valid.0 >= 1, valid.1 >= 1 else { throw TrainingError("\(p.name): a \(size.height)×\(size.width) kernel does not fit a \(i.height)×\(i.width) image") }
            guard (t.height == i.height && t.width == i.width) || (t.height == valid.0 && t.width == valid.1) else {
                throw TrainingError("\(p.name): the target is \(t.height)×\(t.width); it must be the input's \(i.height)×\(i.width) or the interior \(valid.0)×\(valid.1)")
            }
            let wanted = bank ?? i.channels
            guard t.channels == wanted else {
                throw TrainingError("\(p.name): the target has \(t.channels) channels, expected \(wanted)" + (bank == nil ? " (one per input channel; --bank K learns K filters across the channels)" : " (--bank \(wanted))"))
            }
        }
    }

    /// Rows of X for one output pixel go in `row`: the patch (channel, y, x) and a 1 for the bias.
    func moments(_ pairs: [Pair]) -> Moments {
        let d = dimension, k = bank ?? 1
        // Sums in Double across chunks: a photo has millions of rows.
        var gram = [Double](repeating: 0, count: d * d), chunkGram = [Float](repeating: 0, count: d * d)
        var cross = [[Double]](repeating: [Double](repeating: 0, count: d), count: k)
        var squares = [Double](repeating: 0, count: k), count = 0
        let (kh, kw) = size
        for pair in pairs {
            let i = pair.input.planes, t = pair.target.planes
            let vh = i.height - kh + 1, vw = i.width - kw + 1
            // Same-size targets: the interior starts where the filter tool's centre would ((k−1)/2, TF rule for even sizes).
            let (ty, tx) = t.height == i.height ? ((kh - 1) / 2, (kw - 1) / 2) : (0, 0)
            // Per-channel mode: each channel is a separate sample of one 2-D problem.
            let problems = bank == nil ? channels : 1
            let chunkRows = max(1, 65536 / max(vw, 1))
            var x = [Float](repeating: 0, count: chunkRows * vw * d)
            var y = [Float](repeating: 0, count: chunkRows * vw * k)
            for problem in 0..<problems {
                var y0 = 0
                while y0 < vh {
                    let rowsHere = min(chunkRows, vh - y0), n = rowsHere * vw
                    for r in 0..<rowsHere { for c in 0..<vw {
                        let sample = r * vw + c, oy = y0 + r
                        var j = 0
                        for ch in (bank == nil ? problem..<(problem + 1) : 0..<channels) {
                            for ky in 0..<kh { for kx in 0..<kw { x[sample * d + j] = pair.input[ch, oy + ky, c + kx]; j += 1 } }
                        }
                        x[sample * d + j] = 1
                        for f in 0..<k { y[sample * k + f] = pair.target[bank == nil ? problem : f, oy + ty, c + tx] }
                    } }
                    x.withUnsafeBufferPointer { xs in
                        chunkGram.withUnsafeMutableBufferPointer { g in
                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(d), Int32(d), Int32(n), 1,
                                        xs.baseAddress!, Int32(d), xs.baseAddress!, Int32(d), 0, g.baseAddress!, Int32(d))
                        }
                    }
                    for i in 0..<(d * d) { gram[i] += Double(chunkGram[i]) }
                    for f in 0..<k {
                        var row = [Double](repeating: 0, count: d)
                        for s in 0..<n {
                            let v = Double(y[s * k + f])
                            squares[f] += v * v
                            for j in 0..<d { row[j] += Double(x[s * d + j]) * v }
                        }
                        for j in 0..<d { cross[f][j] += row[j] }
                    }
                    count += n
                    y0 += rowsHere
                }
            }
        }
        return Moments(gram: gram, cross: cross, targetSquares: squares, count: count, dimension: d)
    }

    public struct Step { public var step: Int; public var loss: Double; public var kernel: KernelFile }

    /// Runs gradient descent; `observe` sees every step's loss (and the kernel
    /// when asked to build it, every `every` steps and at the end).
    public mutating func fit(_ pairs: [Pair], every: Int, observe: (Step) throws -> Void) throws -> Step {
        try check(pairs)
        let m = moments(pairs)
        let d = m.dimension, k = bank ?? 1, p = Double(m.count)
        var rng = RandomSource(seed: seed, RandomPurpose.kernel)
        let bound = 1 / Float(d - 1).squareRoot()
        let weights = Parameter(name: "kernel", shape: [k, d], value: (0..<(k * d)).map { i in i % d == d - 1 ? 0 : rng.uniform(-bound, bound) })
        // Every filter's Hessian is 2G/(P·K).
        used = optimizer ?? Self.tuned(hessian: m.gram.map { 2 * $0 / p / Double(k) }, dimension: d)
        let optimizer = Optimizer(used, parameters: [weights])
        let schedule: LearningRateSchedule = self.optimizer == nil ? .constant : .cosine
        var last = Step(step: 0, loss: .infinity, kernel: kernel(weights.value))
        for step in 0...steps {
            // loss = (wᵀGw − 2bᵀw + tᵀt) / P per filter, averaged over filters; gradient 2(Gw − b)/P.
            var loss = 0.0
            for f in 0..<k {
                let w = weights.value[(f * d)..<((f + 1) * d)].map(Double.init)
                var gw = [Double](repeating: 0, count: d)
                for r in 0..<d { var s = 0.0; for c in 0..<d { s += m.gram[r * d + c] * w[c] }; gw[r] = s }
                var quad = 0.0, lin = 0.0
                for j in 0..<d { quad += w[j] * gw[j]; lin += m.cross[f][j] * w[j] }
                loss += max(0, quad - 2 * lin + m.targetSquares[f]) / p
                for j in 0..<d { weights.grad[f * d + j] = Float(2 * (gw[j] - m.cross[f][j]) / p / Double(k)) }
            }
            loss /= Double(k)
            let report = step % max(every, 1) == 0 || step == steps
            last = Step(step: step, loss: loss, kernel: report ? kernel(weights.value) : last.kernel)
            try observe(last)
            if step == steps { break }
            optimizer.step([weights], rate: schedule.rate(used.learningRate, epoch: step, epochs: steps))
        }
        return last
    }

    /// Weights (k × D, bias last) as a kernel file.
    func kernel(_ w: [Float]) -> KernelFile {
        let d = dimension, (kh, kw) = size, depth = bank == nil ? 1 : channels
        let filters = (0..<(bank ?? 1)).map { f -> KernelFile.Filter in
            let slices = (0..<depth).map { ch in (0..<kh).map { y in (0..<kw).map { x in w[f * d + (ch * kh + y) * kw + x] } } }
            return KernelFile.Filter(slices: slices, bias: w[f * d + d - 1])
        }
        return KernelFile(name: "learned", filters: filters, origin: "train-kernel")
    }
}
