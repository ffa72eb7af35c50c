import Dispatch
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

    static func run(_ x: Tensor, _ w: Tensor, bias: Tensor?, group: Int, strides s: [Int], dilations d: [Int],
                    pads: Padding, outHeight oh: Int, outWidth ow: Int) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
        let m = w.shape[0], kh = w.shape[2], kw = w.shape[3]
        let cg = c / group, mg = m / group, k = cg * kh * kw, pixels = oh * ow
        let pointwise = kh == 1 && kw == 1 && s == [1, 1] && pads.top == 0 && pads.left == 0 && oh == h && ow == wd
        // Every output value is written: the bias, then SGEMM adds to it (or overwrites, beta 0).
        var out = makeTensor(shape: [n, m, oh, ow]) { _ in }
        // The unrolled patches; every element is written before SGEMM reads it.
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: pointwise ? 0 : k * pixels)
        defer { columns.deallocate() }
        x.storage.withUnsafeBufferPointer { xs in
            w.storage.withUnsafeBufferPointer { ws in
                out.storage.withUnsafeMutableBufferPointer { os in
                    for item in 0..<n {
                        for g in 0..<group {
                            let base = xs.baseAddress! + ((item * c) + g * cg) * h * wd
                            if !pointwise {
                                im2col(base, h: h, w: wd, kh: kh, kw: kw, s: s, d: d, pads: pads, oh: oh, ow: ow,
                                       rows: k, into: columns)
                            }
                            let y = os.baseAddress! + ((item * m) + g * mg) * pixels
                            if let bias {
                                for j in 0..<mg { (y + j * pixels).initialize(repeating: bias.storage[g * mg + j], count: pixels) }
                            }
                            BLAS.sgemm(m: mg, n: pixels, k: k, a: ws.baseAddress! + g * mg * k, lda: k,
                                       b: pointwise ? base : UnsafePointer(columns), ldb: pixels,
                                       beta: bias == nil ? 0 : 1, c: y, ldc: pixels)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Row (ci, ky, kx), column (oy, ox) of the patch matrix; zeros outside the image. Rows on all cores.
    static func im2col(_ base: UnsafePointer<Float>, h: Int, w wd: Int, kh: Int, kw: Int, s: [Int], d: [Int], pads: Padding,
                       oh: Int, ow: Int, rows k: Int, into colBase: UnsafeMutablePointer<Float>) {
        let pixels = oh * ow
        DispatchQueue.concurrentPerform(iterations: k) { r in
            let ci = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
            let plane = base + ci * h * wd
            let row = colBase + r * pixels
            for oy in 0..<oh {
                let iy = oy * s[0] - pads.top + ky * d[0]
                let dst = row + oy * ow
                guard iy >= 0 && iy < h else { dst.initialize(repeating: 0, count: ow); continue }
                let src = plane + iy * wd
                if s[1] == 1 {
                    // Stride 1: one contiguous run of the input row, zeros either side.
                    let shift = kx * d[1] - pads.left
                    let lo = min(ow, max(0, -shift)), hi = max(lo, min(ow, wd - shift))
                    for ox in 0..<lo { dst[ox] = 0 }
                    if hi > lo { (dst + lo).update(from: src + lo + shift, count: hi - lo) }
                    for ox in hi..<ow { dst[ox] = 0 }
                    continue
                }
                for ox in 0..<ow {
                    let ix = ox * s[1] - pads.left + kx * d[1]
                    dst[ox] = ix >= 0 && ix < wd ? src[ix] : 0
                }
            }
        }
    }
}

/// Depthwise convolutions (one input channel per group, any number of
/// filters per group: MobileNet's 3×3 layers) computed directly. Each input
/// plane is first copied, zero-padded, into stride_y·stride_x phase planes
/// (phase (py, px) holds rows py, py + stride_y, … and columns px, px + stride_x,
/// … of the padded plane). Every tap then reads one phase plane at a fixed
/// offset, so the output, computed on a grid as wide as a phase row (the
/// columns past the output's width are dropped), is a few long contiguous
/// loops over the whole plane, three taps per pass: they vectorize whatever
/// the stride, padding or dilation, with no per-row work even for 7×7 planes.
/// Output planes on all cores.
enum DepthwiseConv {
    static func run(_ x: Tensor, _ w: Tensor, bias: Tensor?, group: Int, strides s: [Int], dilations d: [Int],
                    pads: Padding, outHeight oh: Int, outWidth ow: Int) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
        let m = w.shape[0], kh = w.shape[2], kw = w.shape[3], mg = m / group
        let sy = s[0], sx = s[1], dy = d[0], dx = d[1], top = pads.top, left = pads.left
        // The padded region the output reads, and its phase planes (rows × pitch); one spare
        // row per phase keeps the grid's dropped columns inside the buffer.
        let paddedHeight = (oh - 1) * sy + (kh - 1) * dy + 1, paddedWidth = (ow - 1) * sx + (kw - 1) * dx + 1
        let rows = (paddedHeight + sy - 1) / sy, pitch = (paddedWidth + sx - 1) / sx
        let phaseSize = (rows + 1) * pitch, gridSize = oh * pitch
        return x.storage.withUnsafeBufferPointer { xs in
            w.storage.withUnsafeBufferPointer { ws in
                makeTensor(shape: [n, m, oh, ow]) { os in
                    let xBase = xs.baseAddress!, wBase = ws.baseAddress!, oBase = os.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: n * m) { plane in
                        let item = plane / m, oc = plane % m
                        let src = xBase + (item * c + oc / mg) * h * wd
                        let dst = oBase + plane * oh * ow
                        let taps = wBase + oc * kh * kw
                        let b = bias?.storage[oc] ?? 0
                        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: sy * sx * phaseSize + (pitch == ow ? 0 : gridSize))
                        defer { scratch.deallocate() }
                        for py in 0..<sy { for px in 0..<sx {
                            let phase = scratch + (py * sx + px) * phaseSize
                            // Columns: phase[j] = input[j·sx + px − left], zero outside the row.
                            let first = px - left
                            let lo = min(pitch, first >= 0 ? 0 : (sx - 1 - first) / sx)
                            let hi = max(lo, min(pitch, wd - first <= 0 ? 0 : (wd - 1 - first) / sx + 1))
                            for r in 0..<(rows + 1) {
                                let line = phase + r * pitch, iy = r * sy + py - top
                                guard r < rows, iy >= 0 && iy < h else { line.initialize(repeating: 0, count: pitch); continue }
                                let from = src + iy * wd + first
                                for j in 0..<lo { line[j] = 0 }
                                if sx == 1 { (line + lo).update(from: from + lo, count: hi - lo) }
                                else { for j in lo..<hi { line[j] = from[j &* sx] } }
                                for j in hi..<pitch { line[j] = 0 }
                            }
                        } }
                        // Tap (ky, kx) reads phase ((ky·dy) % sy, (kx·dx) % sx) from row (ky·dy) / sy, column (kx·dx) / sx.
                        func source(_ tap: Int) -> UnsafePointer<Float> {
                            let ky = tap / kw, kx = tap % kw
                            let phase = scratch + (((ky * dy) % sy) * sx + (kx * dx) % sx) * phaseSize
                            return UnsafePointer(phase + ((ky * dy) / sy) * pitch + (kx * dx) / sx)
                        }
                        let grid = pitch == ow ? dst : scratch + sy * sx * phaseSize
                        grid.initialize(repeating: b, count: gridSize)
                        var tap = 0, count = kh * kw
                        while tap + 3 <= count {
                            let a = source(tap), a1 = source(tap + 1), a2 = source(tap + 2)
                            let t0 = taps[tap], t1 = taps[tap + 1], t2 = taps[tap + 2]
                            for i in 0..<gridSize { grid[i] += t0 * a[i] + t1 * a1[i] + t2 * a2[i] }
                            tap += 3
                        }
                        while tap < count {
                            let a = source(tap), t0 = taps[tap]
                            for i in 0..<gridSize { grid[i] += t0 * a[i] }
                            tap += 1
                        }
                        if grid != dst {
                            for oy in 0..<oh { (dst + oy * ow).update(from: grid + oy * pitch, count: ow) }
                        }
                    }
                }
            }
        }
    }
}
