import Foundation
import Tensors

/// MaxPool, AveragePool and the global pools, with ONNX's padding,
/// ceil_mode, count_include_pad and dilations.
enum PoolOps {
    static let table: [String: Operator] = [
        "MaxPool": { n, i, _ in [try pool(n, i, max: true)] },
        "AveragePool": { n, i, _ in [try pool(n, i, max: false)] },
        "GlobalAveragePool": { n, i, _ in [try global(n, i, max: false)] },
        "GlobalMaxPool": { n, i, _ in [try global(n, i, max: true)] },
    ]

    static func pool(_ node: Node, _ inputs: [Tensor?], max isMax: Bool) throws -> Tensor {
        let x = try required(inputs, 0, node)
        let (n, c, h, w) = try nchw(x, node)
        guard let k = node.ints("kernel_shape"), k.count == 2 else { throw ModelError.node(node, "kernel_shape needs 2 values") }
        let s = node.ints("strides") ?? [1, 1], d = node.ints("dilations") ?? [1, 1]
        guard k.allSatisfy({ $0 >= 1 }), s.count == 2, s.allSatisfy({ $0 >= 1 }), d.count == 2, d.allSatisfy({ $0 >= 1 }) else {
            throw ModelError.node(node, "kernel_shape \(k), strides \(s) and dilations \(d) need 2 values of at least 1")
        }
        let ceil = node.int("ceil_mode", default: 0) == 1
        let includePad = node.int("count_include_pad", default: 0) == 1
        let extent = [(k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1]
        var pads = node.ints("pads") ?? [0, 0, 0, 0]
        let auto = node.string("auto_pad", default: "NOTSET")
        func outSize(_ size: Int, _ axis: Int) -> Int {
            let total = size + pads[axis] + pads[axis + 2] - extent[axis]
            var o = (ceil ? (total + s[axis] - 1) / s[axis] : total / s[axis]) + 1
            // A window must start inside the input or its leading padding.
            if ceil && (o - 1) * s[axis] >= size + pads[axis] { o -= 1 }
            return o
        }
        var oh: Int, ow: Int
        switch auto {
        case "SAME_UPPER", "SAME_LOWER":
            oh = (h + s[0] - 1) / s[0]; ow = (w + s[1] - 1) / s[1]
            let th = max(0, (oh - 1) * s[0] + extent[0] - h), tw = max(0, (ow - 1) * s[1] + extent[1] - w)
            pads = auto == "SAME_UPPER" ? [th / 2, tw / 2, th - th / 2, tw - tw / 2] : [th - th / 2, tw - tw / 2, th / 2, tw / 2]
        case "VALID":
            pads = [0, 0, 0, 0]; oh = outSize(h, 0); ow = outSize(w, 1)
        default:
            oh = outSize(h, 0); ow = outSize(w, 1)
        }
        guard oh > 0, ow > 0 else { throw ModelError.node(node, "the window does not fit a \(h)×\(w) input") }
        guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else { throw ModelError.node(node, "pads \(pads) must be 4 values, none negative") }
        let s0 = s[0], s1 = s[1], d0 = d[0], d1 = d[1], k0 = k[0], k1 = k[1]
        let top = pads[0], left = pads[1], bottom = pads[2], right = pads[3]
        /// The taps 0..<count whose position start + tap·dilation lies in 0..<size.
        func inside(_ start: Int, _ dilation: Int, _ size: Int, _ count: Int) -> Range<Int> {
            let lo = start >= 0 ? 0 : (dilation - 1 - start) / dilation
            let hi = start >= size ? 0 : Swift.min(count, (size - 1 - start) / dilation + 1)
            return lo..<Swift.max(lo, hi)
        }
        if isMax {
            // The C kernel indexes the output grid (rows as wide as the padded input) with 32 bits.
            guard oh * (w + left + right + extent[1]) < Int(Int32.max) else {
                throw ModelError.node(node, "a \(oh)×\(ow) output plane is too large for cnnfilter's pooling kernel")
            }
            return DepthwiseConv.maxPool(x, kernel: (k0, k1), strides: s, dilations: d, top: top, left: left,
                                         outHeight: oh, outWidth: ow)
        }
        let out = x.storage.withUnsafeBufferPointer { src in
            makeTensor(shape: [n, c, oh, ow]) { dst in
                let srcBase = src.baseAddress!, dstBase = dst.baseAddress!
                // Planes on all cores.
                parallelFor(n * c) { plane in
                    let p = srcBase + plane * h * w, q = dstBase + plane * oh * ow
                    for oy in 0..<oh {
                        let y0 = oy * s0 - top
                        let rows = inside(y0, d0, h, k0)
                        for ox in 0..<ow {
                            let x0 = ox * s1 - left
                            let cols = inside(x0, d1, w, k1)
                            var acc: Float = 0
                            for ky in rows {
                                let line = p + (y0 + ky * d0) * w + x0
                                for kx in cols { acc += line[kx * d1] }
                            }
                            // onnxruntime's divisor: the window clipped to the padded input, or to the input.
                            let divisor: Int
                            if includePad {
                                let hEnd = Swift.min(y0 + extent[0], h + bottom), wEnd = Swift.min(x0 + extent[1], w + right)
                                divisor = (hEnd - y0) * (wEnd - x0)
                            } else {
                                divisor = rows.count * cols.count
                            }
                            q[oy * ow + ox] = divisor > 0 ? acc / Float(divisor) : 0
                        }
                    }
                }
            }
        }
        return out
    }

    static func global(_ node: Node, _ inputs: [Tensor?], max isMax: Bool) throws -> Tensor {
        let x = try required(inputs, 0, node)
        guard x.rank >= 3 else { throw ModelError.node(node, "expects N×C×… input, got \(x.shape)") }
        let planes = x.shape[0] * x.shape[1], area = x.count / max(planes, 1)
        var out = Tensor(shape: [x.shape[0], x.shape[1]] + [Int](repeating: 1, count: x.rank - 2))
        for p in 0..<planes {
            let slice = x.storage[(p * area)..<((p + 1) * area)]
            out.storage[p] = isMax ? (slice.max() ?? 0) : slice.reduce(0, +) / Float(area)
        }
        return out
    }
}
