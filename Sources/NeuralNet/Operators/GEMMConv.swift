import Convolution
import Tensors

/// Convolutions with many channels as matrix products: the input patches of
/// one batch item and group unrolled into a K × N matrix (im2col, K = C/g·kh·kw,
/// N = output pixels), multiplied by the M/g × K weights with SGEMM
/// (`BLAS.sgemm`, on every core). A 1×1 convolution at stride 1 without
/// padding needs no unrolling: the input planes are that matrix already.
/// The filter engine (one filter at a time) stays faster for a handful of
/// filters; `ConvOps.conv` chooses.
enum GEMMConv {
    /// Worth it from 6 filters per group on, whatever the filters' size. Measured
    /// (release build, 2 cores, `cnnfilter bench` on one-Conv models, engine / SGEMM ms):
    /// 3→32 3×3 stride 2 on 224² 21.4 / 2.1, 16→96 1×1 on 112² 13.8 / 2.5, 64→64 3×3 on 56²
    /// 56.4 / 7.4, 1→6 5×5 on 32² 0.11 / 0.03; but 3→4 3×3 on 224² 1.46 / 1.35,
    /// 3→1 3×3 on 224² 0.37 / 0.72, 1→2 7×7 on 224² 0.64 / 1.98.
    static func suits(filtersPerGroup m: Int) -> Bool {
        m >= 6
    }

    /// `clip`: bounds the output is clamped to (a Relu or Clip fused by the model runner).
    static func run(_ x: Tensor, _ w: Tensor, bias: Tensor?, group: Int, strides s: [Int], dilations d: [Int],
                    pads: Padding, outHeight oh: Int, outWidth ow: Int, clip: (low: Float, high: Float)? = nil) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
        let m = w.shape[0], kh = w.shape[2], kw = w.shape[3]
        let cg = c / group, mg = m / group, k = cg * kh * kw, pixels = oh * ow
        let pointwise = kh == 1 && kw == 1 && s == [1, 1] && pads.top == 0 && pads.left == 0 && oh == h && ow == wd
        let geometry = Geometry(h: h, w: wd, kh: kh, kw: kw, sy: s[0], sx: s[1], dy: d[0], dx: d[1],
                                top: pads.top, left: pads.left, oh: oh, ow: ow)
        // More pixels than filters and small weights (the early, large layers): each core takes
        // blocks of output columns, unrolls just those (about 512 KB, so they stay in its L2 cache
        // while SGEMM reads them) and multiplies them on its own; SGEMM repacks the weights for
        // every block, hence at most 1 MB of them. Otherwise the whole matrix is unrolled and
        // BLAS.sgemm splits the product (by rows when the filters outnumber the pixels).
        let widest = max(64, (1 << 17) / max(k, 1))
        let blocks = BLAS.cores * ((pixels + BLAS.cores * widest - 1) / (BLAS.cores * widest))
        let block = ((pixels + blocks - 1) / blocks + 15) / 16 * 16
        let blocked = !pointwise && pixels >= mg && mg * k <= 1 << 18 && pixels >= BLAS.cores * 64
        // Every output value is written: the bias, then SGEMM adds to it (or overwrites, beta 0).
        var out = makeTensor(shape: [n, m, oh, ow]) { _ in }
        // The unrolled patches; every element is written before SGEMM reads it.
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: pointwise || blocked ? 0 : k * pixels)
        defer { columns.deallocate() }
        x.storage.withUnsafeBufferPointer { xs in
            w.storage.withUnsafeBufferPointer { ws in
                out.storage.withUnsafeMutableBufferPointer { os in
                    for item in 0..<n {
                        for g in 0..<group {
                            let base = xs.baseAddress! + ((item * c) + g * cg) * h * wd
                            let weights = ws.baseAddress! + g * mg * k
                            let y = os.baseAddress! + ((item * m) + g * mg) * pixels
                            if let bias {
                                for j in 0..<mg { (y + j * pixels).initialize(repeating: bias.storage[g * mg + j], count: pixels) }
                            }
                            let beta: Float = bias == nil ? 0 : 1
                            if blocked {
                                parallelFor((pixels + block - 1) / block) { i in
                                    let p0 = i * block, width = min(block, pixels - p0)
                                    let patch = UnsafeMutablePointer<Float>.allocate(capacity: k * width)
                                    defer { patch.deallocate() }
                                    for r in 0..<k { geometry.unroll(base, row: r, pixels: p0..<(p0 + width), into: patch + r * width) }
                                    BLAS.sgemmOneThread(m: mg, n: width, k: k, a: weights, lda: k, b: patch, ldb: width,
                                                        beta: beta, c: y + p0, ldc: pixels)
                                    if let clip { for j in 0..<mg { clamp(y + j * pixels + p0, count: width, clip) } }
                                }
                                continue
                            }
                            if !pointwise {
                                parallelFor(k) { r in
                                    geometry.unroll(base, row: r, pixels: 0..<pixels, into: columns + r * pixels)
                                }
                            }
                            BLAS.sgemm(m: mg, n: pixels, k: k, a: weights, lda: k, b: pointwise ? base : UnsafePointer(columns),
                                       ldb: pixels, beta: beta, c: y, ldc: pixels)
                            if let clip {
                                parallelFor(min(BLAS.cores, mg)) { part in
                                    let lo = mg * part / min(BLAS.cores, mg), hi = mg * (part + 1) / min(BLAS.cores, mg)
                                    clamp(y + lo * pixels, count: (hi - lo) * pixels, clip)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Output planes this small make one product per batch item too little work to pay for its calls:
    /// `runBatched` takes many items per product. Measured in LeNet-5's training: faster on C5 (1×1),
    /// slower on C3 (10×10).
    static let batchedPixels = 32

    /// A batch as products over chunks of items side by side: each chunk's patches unrolled into
    /// K × items·pixels, one SGEMM per chunk and group, the result scattered back to N×M×H×W
    /// (with the bias and the fused clip).
    static func runBatched(_ x: Tensor, _ w: Tensor, bias: Tensor?, group: Int, strides s: [Int], dilations d: [Int],
                           pads: Padding, outHeight oh: Int, outWidth ow: Int,
                           clip: (low: Float, high: Float)? = nil) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
        let m = w.shape[0], kh = w.shape[2], kw = w.shape[3]
        let cg = c / group, mg = m / group, k = cg * kh * kw, pixels = oh * ow
        let geometry = Geometry(h: h, w: wd, kh: kh, kw: kw, sy: s[0], sx: s[1], dy: d[0], dx: d[1],
                                top: pads.top, left: pads.left, oh: oh, ow: ow)
        // Chunks of about 256 KB of patches, which stay in the cache while SGEMM reads them.
        let chunk = max(1, min(n, (1 << 16) / max(k * pixels, 1)))
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * chunk * pixels)
        let products = UnsafeMutablePointer<Float>.allocate(capacity: mg * chunk * pixels)
        defer { columns.deallocate(); products.deallocate() }
        var out = makeTensor(shape: [n, m, oh, ow]) { _ in }
        x.storage.withUnsafeBufferPointer { xs in w.storage.withUnsafeBufferPointer { ws in
            out.storage.withUnsafeMutableBufferPointer { os in
                let xb = xs.baseAddress!, ob = os.baseAddress!
                for first in stride(from: 0, to: n, by: chunk) {
                    let items = min(chunk, n - first), cols = items * pixels
                    for g in 0..<group {
                        parallelFor(items) { j in
                            let base = xb + ((first + j) * c + g * cg) * h * wd
                            for r in 0..<k {
                                geometry.unroll(base, row: r, pixels: 0..<pixels, into: columns + r * cols + j * pixels)
                            }
                        }
                        BLAS.sgemm(m: mg, n: cols, k: k, a: ws.baseAddress! + g * mg * k, lda: k, b: columns, ldb: cols,
                                   beta: 0, c: products, ldc: cols)
                        parallelFor(items) { j in
                            for f in 0..<mg {
                                let to = ob + ((first + j) * m + g * mg + f) * pixels,
                                    from = products + f * cols + j * pixels
                                let b = bias?.storage[g * mg + f] ?? 0
                                for p in 0..<pixels { to[p] = from[p] + b }
                                if let clip { clamp(to, count: pixels, clip) }
                            }
                        }
                    }
                }
            }
        } }
        return out
    }

    /// Where the patches come from: input and kernel sizes, strides, dilations, leading padding, output size.
    struct Geometry {
        let h: Int, w: Int, kh: Int, kw: Int, sy: Int, sx: Int, dy: Int, dx: Int, top: Int, left: Int, oh: Int, ow: Int

        /// Row r = (ci, ky, kx) of the patch matrix, for output pixels `range` (oy·ow + ox): the input
        /// value each of those pixels sees through tap (ky, kx) of channel ci, zero outside the image.
        func unroll(_ base: UnsafePointer<Float>, row r: Int, pixels range: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
            let ci = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
            let plane = base + ci * h * w
            var p = range.lowerBound, out = dst
            while p < range.upperBound {
                let oy = p / ow, ox0 = p - oy * ow, ox1 = min(ow, ox0 + range.upperBound - p), count = ox1 - ox0
                defer { out += count; p += count }
                let iy = oy * sy - top + ky * dy
                guard iy >= 0 && iy < h else { out.initialize(repeating: 0, count: count); continue }
                let src = plane + iy * w
                if sx == 1 {
                    // Stride 1: one contiguous run of the input row, zeros either side.
                    let shift = kx * dx - left
                    let lo = min(ox1, max(ox0, -shift)), hi = max(lo, min(ox1, w - shift))
                    out.initialize(repeating: 0, count: lo - ox0)
                    if hi > lo { (out + (lo - ox0)).update(from: src + lo + shift, count: hi - lo) }
                    (out + (hi - ox0)).initialize(repeating: 0, count: ox1 - hi)
                    continue
                }
                // Strided: input column ox·sx + shift, inside the row for ox in lo..<hi.
                let shift = kx * dx - left
                let lo = min(ox1, max(ox0, shift >= 0 ? 0 : (sx - 1 - shift) / sx))
                let hi = max(lo, min(ox1, w - shift <= 0 ? 0 : (w - 1 - shift) / sx + 1))
                out.initialize(repeating: 0, count: lo - ox0)
                let from = src + shift, to = out - ox0
                for ox in lo..<hi { to[ox] = from[ox &* sx] }
                (out + (hi - ox0)).initialize(repeating: 0, count: ox1 - hi)
            }
        }

        /// The adjoint of `unroll` (col2im): adds row r of a patch matrix, one value per output pixel,
        /// onto the input positions those values were read from; the padding takes nothing.
        func fold(_ src: UnsafePointer<Float>, row r: Int, into base: UnsafeMutablePointer<Float>) {
            let ci = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
            let plane = base + ci * h * w, shift = kx * dx - left
            // Output columns whose input column ox·sx + shift lies inside the row.
            let lo = shift >= 0 ? 0 : (sx - 1 - shift) / sx
            let hi = min(ow, w - shift <= 0 ? 0 : (w - 1 - shift) / sx + 1)
            guard hi > lo else { return }
            for oy in 0..<oh {
                let iy = oy * sy - top + ky * dy
                guard iy >= 0 && iy < h else { continue }
                let to = plane + iy * w + shift, from = src + oy * ow
                for ox in lo..<hi { to[ox &* sx] += from[ox] }
            }
        }
    }
}
