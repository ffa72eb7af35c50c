import COpenBLAS
import Dispatch
import Convolution
import Tensors

/// Convolutions with many channels as matrix products: the input patches of
/// one batch item and group unrolled into a K × N matrix (im2col, K = C/g·kh·kw,
/// N = output pixels), multiplied by the M/g × K weights with OpenBLAS's
/// SGEMM. The filter engine (one input channel at a time) stays faster for
/// few channels; `ConvOps.conv` chooses.
enum GEMMConv {
    /// Worth it once a filter spans enough values to keep SGEMM busy.
    static func suits(inputChannelsPerGroup c: Int, kh: Int, kw: Int, filtersPerGroup m: Int) -> Bool {
        c * kh * kw >= 32 && m >= 8
    }

    static func run(_ x: Tensor, _ w: Tensor, bias: Tensor?, group: Int, strides s: [Int], dilations d: [Int],
                    pads: Padding, outHeight oh: Int, outWidth ow: Int) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
        let m = w.shape[0], kh = w.shape[2], kw = w.shape[3]
        let cg = c / group, mg = m / group, k = cg * kh * kw, pixels = oh * ow
        var out = Tensor(shape: [n, m, oh, ow])
        var columns = [Float](repeating: 0, count: k * pixels)
        x.storage.withUnsafeBufferPointer { xs in
            w.storage.withUnsafeBufferPointer { ws in
                out.storage.withUnsafeMutableBufferPointer { os in
                    for item in 0..<n {
                        for g in 0..<group {
                            // im2col: row (ci, ky, kx), column (oy, ox); zeros outside the image. Rows on all cores.
                            let base = UnsafePointer(xs.baseAddress!) + ((item * c) + g * cg) * h * wd
                            columns.withUnsafeMutableBufferPointer { col in
                                let colBase = col.baseAddress!
                                DispatchQueue.concurrentPerform(iterations: k) { r in
                                    let ci = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
                                    let plane = base + ci * h * wd
                                    let row = colBase + r * pixels
                                    for oy in 0..<oh {
                                        let iy = oy * s[0] - pads.top + ky * d[0]
                                        let dst = row + oy * ow
                                        guard iy >= 0 && iy < h else { for ox in 0..<ow { dst[ox] = 0 }; continue }
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
                            let y = os.baseAddress! + ((item * m) + g * mg) * pixels
                            if let bias {
                                for j in 0..<mg { let b = bias.storage[g * mg + j]; for p in 0..<pixels { y[j * pixels + p] = b } }
                            }
                            columns.withUnsafeBufferPointer { col in
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(mg), Int32(pixels), Int32(k),
                                            1, ws.baseAddress! + g * mg * k, Int32(k), col.baseAddress!, Int32(pixels),
                                            bias == nil ? 0 : 1, y, Int32(pixels))
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
