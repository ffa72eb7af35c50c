import Convolution
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

    /// A 2-D pooling window's placement: kernel, strides, dilations, padding on each side and the
    /// output size, from the node's attributes (shared by the forward and backward passes).
    struct Window {
        let k0: Int, k1: Int, s0: Int, s1: Int, d0: Int, d1: Int
        let top: Int, left: Int, bottom: Int, right: Int, oh: Int, ow: Int
        let includePad: Bool
        var extent: (Int, Int) { ((k0 - 1) * d0 + 1, (k1 - 1) * d1 + 1) }

        init(_ node: Node, height h: Int, width w: Int) throws {
            guard let k = try checkedInts(node, "kernel_shape", count: 2, in: 1...windowLimit) else {
                throw ModelError.node(node, "kernel_shape needs 2 values")
            }
            let s = try checkedInts(node, "strides", count: 2, in: 1...windowLimit) ?? [1, 1]
            let d = try checkedInts(node, "dilations", count: 2, in: 1...windowLimit) ?? [1, 1]
            let spec = try ConvOps.padding(node)
            let placement: WindowPlacement
            do {
                // SAME gives ceil(size / stride) windows whatever ceil_mode says.
                placement = try WindowPlacement(height: h, width: w,
                                                extent: ((k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1),
                                                strides: (s[0], s[1]), padding: spec,
                                                ceilMode: node.int("ceil_mode", default: 0) == 1
                                                    && spec != .same && spec != .sameLower)
            } catch { throw ModelError.node(node, "\(error)") }
            let pads = placement.padding
            (k0, k1, s0, s1, d0, d1) = (k[0], k[1], s[0], s[1], d[0], d[1])
            (top, left, bottom, right) = (pads.top, pads.left, pads.bottom, pads.right)
            (oh, ow) = (placement.outHeight, placement.outWidth)
            includePad = node.int("count_include_pad", default: 0) == 1
        }

        /// The taps 0..<count whose position start + tap·dilation lies in 0..<size.
        @inline(__always)
        static func inside(_ start: Int, _ dilation: Int, _ size: Int, _ count: Int) -> Range<Int> {
            let lo = start >= 0 ? 0 : (dilation - 1 - start) / dilation
            let hi = start >= size ? 0 : Swift.min(count, (size - 1 - start) / dilation + 1)
            return lo..<Swift.max(lo, hi)
        }

        /// An average's divisor as onnxruntime counts it: the window clipped to the padded input
        /// (count_include_pad), or the taps inside the input.
        @inline(__always)
        func divisor(y0: Int, x0: Int, rows: Range<Int>, cols: Range<Int>, h: Int, w: Int) -> Int {
            guard includePad else { return rows.count * cols.count }
            let hEnd = Swift.min(y0 + extent.0, h + bottom), wEnd = Swift.min(x0 + extent.1, w + right)
            return (hEnd - y0) * (wEnd - x0)
        }
    }

    static func pool(_ node: Node, _ inputs: [Tensor?], max isMax: Bool) throws -> Tensor {
        let x = try required(inputs, 0, node)
        let (n, c, h, w) = try nchw(x, node)
        let win = try Window(node, height: h, width: w)
        let (oh, ow, s0, s1, d0, d1, k0, k1) = (win.oh, win.ow, win.s0, win.s1, win.d0, win.d1, win.k0, win.k1)
        let top = win.top, left = win.left, right = win.right,
            extent = [win.extent.0, win.extent.1], s = [s0, s1], d = [d0, d1]
        let inside = Window.inside
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
                            let divisor = win.divisor(y0: y0, x0: x0, rows: rows, cols: cols, h: h, w: w)
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

    // MARK: Backward

    static let gradients: [String: GradientRule] = [
        "MaxPool": GradientRule(inputs: [0]) { c in [try poolBackward(c, max: true)] },
        "AveragePool": GradientRule(inputs: [0]) { c in [try poolBackward(c, max: false)] },
        "GlobalAveragePool": GradientRule(inputs: [0]) { c in [try globalBackward(c, max: false)] },
        "GlobalMaxPool": GradientRule(inputs: [0]) { c in [try globalBackward(c, max: true)] },
    ]

    /// Max: each output's gradient goes to the first input of its window (row by row) that holds the
    /// maximum, as PyTorch routes it; average: spread evenly over the window's divisor.
    static func poolBackward(_ c: BackwardContext, max isMax: Bool) throws -> Tensor {
        let x = try c.input(0), y = c.outputs[0], g = c.gradient()
        let (n, ch, h, w) = try nchw(x, c.node)
        let win = try Window(c.node, height: h, width: w)
        let oh = win.oh, ow = win.ow
        var dx = Tensor(shape: x.shape)
        x.storage.withUnsafeBufferPointer { xs in y.storage.withUnsafeBufferPointer { ys in
            g.storage.withUnsafeBufferPointer { gs in
            dx.storage.withUnsafeMutableBufferPointer { ds in
                let xb = xs.baseAddress!, yb = ys.baseAddress!, gb = gs.baseAddress!, db = ds.baseAddress!
                parallelFor(n * ch) { plane in
                    let p = xb + plane * h * w, q = db + plane * h * w, o = plane * oh * ow
                    for oy in 0..<oh {
                        let y0 = oy * win.s0 - win.top, rows = Window.inside(y0, win.d0, h, win.k0)
                        for ox in 0..<ow {
                            let x0 = ox * win.s1 - win.left, cols = Window.inside(x0, win.d1, w, win.k1)
                            let grad = gb[o + oy * ow + ox]
                            if isMax {
                                let top = yb[o + oy * ow + ox]
                                search: for ky in rows { for kx in cols {
                                    let at = (y0 + ky * win.d0) * w + x0 + kx * win.d1
                                    if p[at] == top { q[at] += grad; break search }
                                } }
                            } else {
                                let divisor = win.divisor(y0: y0, x0: x0, rows: rows, cols: cols, h: h, w: w)
                                guard divisor > 0 else { continue }
                                let share = grad / Float(divisor)
                                for ky in rows {
                                    for kx in cols { q[(y0 + ky * win.d0) * w + x0 + kx * win.d1] += share }
                                }
                            }
                        }
                    }
                }
            }
        } } }
        return dx
    }

    static func globalBackward(_ c: BackwardContext, max isMax: Bool) throws -> Tensor {
        let x = try c.input(0), y = c.outputs[0], g = c.gradient()
        let planes = x.shape[0] * x.shape[1], area = x.count / max(planes, 1)
        var dx = Tensor(shape: x.shape)
        for p in 0..<planes {
            let base = p * area
            if isMax {
                if let at = (base..<(base + area)).first(where: { x.storage[$0] == y.storage[p] }) {
                    dx.storage[at] = g.storage[p]
                }
            } else {
                let share = g.storage[p] / Float(area)
                for i in base..<(base + area) { dx.storage[i] = share }
            }
        }
        return dx
    }
}
