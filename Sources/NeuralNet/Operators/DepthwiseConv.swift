import CDirectConv
import Convolution
import Tensors

/// Depthwise convolutions (one input channel per group, any number of
/// filters per group: MobileNet's 3×3 layers) and max pooling, computed plane
/// by plane. Depthwise layers run on `FlatDepthwise` where it applies (AVX-512,
/// padding that keeps the phases within the output's width); otherwise, and for
/// max pooling, each input plane is first copied, padded, into phase planes
/// (`PhasePlanes`). Every tap then reads one phase
/// plane at a fixed offset, so the output, computed on a grid as wide as a
/// phase row (the kernel drops the columns past the output's width), is one
/// pass of a C kernel (`cf_depthwise_plane`, `cf_max_plane`) over the whole
/// plane with every tap in registers: vectorized whatever the stride, padding
/// or dilation, with no per-row work even for 7×7 planes. Planes in a few
/// chunks per core, one scratch buffer each.
enum DepthwiseConv {
    /// `clip`: bounds the output is clamped to (a Relu or Clip fused by the model runner).
    static func run(_ x: Tensor, _ w: Tensor, bias: Tensor?, group: Int, strides s: [Int], dilations d: [Int],
                    pads: Padding, outHeight oh: Int, outWidth ow: Int, clip: (low: Float, high: Float)? = nil) -> Tensor {
        let m = w.shape[0], mg = m / group, taps = w.shape[2] * w.shape[3]
        let biases = bias?.storage ?? [Float](repeating: 0, count: m)
        let (low, high) = clip ?? (-Float.infinity, Float.infinity)
        return w.storage.withUnsafeBufferPointer { ws in
            let weights = ws.baseAddress!
            if let flat = FlatDepthwise(height: x.shape[2], width: x.shape[3], outHeight: oh, outWidth: ow,
                                        kernel: (w.shape[2], w.shape[3]), strides: s, dilations: d, top: pads.top, left: pads.left) {
                return flat.run(x, planes: x.shape[0] * m, m: m, source: { $0 / mg }, weights: weights, biases: biases,
                                low: low, high: high)
            }
            return planes(x, planes: m, source: { $0 / mg }, kernel: (w.shape[2], w.shape[3]), strides: s, dilations: d,
                          top: pads.top, left: pads.left, outHeight: oh, outWidth: ow, padding: 0) { sources, count, plane, out, pitch in
                cf_depthwise_plane(sources, weights + plane * taps, Int32(taps), Int32(count), biases[plane], low, high, out,
                                   Int32(pitch), Int32(ow))
            }
        }
    }

    /// Max pooling: padding never wins (it is −∞).
    static func maxPool(_ x: Tensor, kernel: (Int, Int), strides s: [Int], dilations d: [Int], top: Int, left: Int,
                        outHeight oh: Int, outWidth ow: Int) -> Tensor {
        let taps = kernel.0 * kernel.1
        return planes(x, planes: x.shape[1], source: { $0 }, kernel: kernel, strides: s, dilations: d, top: top, left: left,
                      outHeight: oh, outWidth: ow, padding: -Float.infinity) { sources, count, _, out, pitch in
            cf_max_plane(sources, Int32(taps), Int32(count), out, Int32(pitch), Int32(ow))
        }
    }

    /// For each output plane (item, channel): its input plane `source(channel)` in phase planes,
    /// and `body(tap sources, grid length, channel, output plane, grid pitch)` computes it (the
    /// phase planes have room for reads of whole vectors past the grid).
    static func planes(_ x: Tensor, planes m: Int, source: @escaping (Int) -> Int, kernel: (Int, Int), strides s: [Int],
                       dilations d: [Int], top: Int, left: Int, outHeight oh: Int, outWidth ow: Int, padding: Float,
                       body: @escaping (UnsafePointer<UnsafePointer<Float>?>, Int, Int, UnsafeMutablePointer<Float>, Int) -> Void)
                       -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
        let layout = PhasePlanes(outHeight: oh, outWidth: ow, kernel: kernel, strides: s, dilations: d, top: top, left: left)
        let slack = Int(cf_conv_slack())
        return x.storage.withUnsafeBufferPointer { xs in
            makeTensor(shape: [n, m, oh, ow]) { os in
                let xBase = xs.baseAddress!, oBase = os.baseAddress!
                let chunks = min(n * m, 4 * BLAS.cores)
                parallelFor(chunks) { chunk in
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: layout.size + slack)
                    defer { scratch.deallocate() }
                    (scratch + layout.size).initialize(repeating: 0, count: slack)
                    let sources = layout.tapOffsets.map { Optional(UnsafePointer(scratch + $0)) }
                    for plane in (n * m * chunk / chunks)..<(n * m * (chunk + 1) / chunks) {
                        let item = plane / m, channel = plane % m
                        layout.fill(xBase + (item * c + source(channel)) * h * wd, h: h, w: wd, into: scratch, padding: padding)
                        body(sources, oh * layout.pitch, channel, oBase + plane * oh * ow, layout.pitch)
                    }
                }
            }
        }
    }
}
