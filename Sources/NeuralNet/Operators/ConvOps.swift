import CDirectConv
import Convolution
import Tensors

/// Conv runs on the same engine as the image filter (each batch item is a
/// C×H×W image through a `Conv2D` bank with the node's groups, strides,
/// dilations and zero padding), except with 6 filters per group or more (`DirectConv`, or
/// `GEMMConv`: im2col + SGEMM) and depthwise convolutions (`DepthwiseConv`).
public enum ConvOps {
    /// How convolutions with 6 filters per group or more run: cnnfilter's direct kernel, or
    /// im2col + OpenBLAS SGEMM. The model runner chooses per model (`ModelRunner(_:convolutions:)`).
    public enum Path: String, CaseIterable, Sendable {
        case direct, sgemm

        /// The direct kernel with the AVX-512 and AVX2 kernels, SGEMM with SSE's 4-float vectors. Measured
        /// on ResNet-18 (`cnnfilter bench --isa I --conv P`, Xeon with AVX-512): direct 16.7 ms (avx512),
        /// 28.8 ms (avx2), 65.0 ms (sse); SGEMM 32.1 ms with OpenBLAS's SkylakeX kernels, 43.0 ms with its
        /// Haswell (AVX2) ones.
        public static var preferred: Path { cf_conv_lanes() >= 8 ? .direct : .sgemm }
    }

    static let table: [String: Operator] = ["Conv": { node, inputs, _ in try conv(node, inputs) },
                                            "ConvTranspose": convTranspose]

    /// What the model runner prepares for a Conv once: the path it takes and its filters packed for it.
    struct Plan {
        var path = Path.preferred
        /// The filters in the direct kernel's (or Winograd's) panels; nil: packed on each run where needed.
        var packed: Tensor?
        /// For fixed filters that gradients pass through (an explanation): the flipped, transposed
        /// filters dX is a convolution with, and their packing (`preparedBackward`).
        var flipped: Tensor?, flippedPacked: Tensor?
    }

    /// Whether a convolution that is not depthwise runs on DirectConv (or GEMMConv) rather than the
    /// filter engine (the model runner packs these filters once).
    static func manyFilters(perGroup mg: Int, inputsPerGroup cg: Int, group: Int) -> Bool {
        !(cg == 1 && group > 1) && GEMMConv.suits(filtersPerGroup: mg)
    }

    /// `clip`: the Relu or Clip the runner folded into the convolution.
    static func conv(_ node: Node, _ inputs: [Tensor?], plan: Plan = Plan(), clip: ClipBounds? = nil) throws
        -> [Tensor] {
        let x = try required(inputs, 0, node), w = try required(inputs, 1, node)
        let (n, c, h, wd) = try nchw(x, node)
        guard w.rank == 4 else { throw ModelError.node(node, "only 2-D convolutions are supported (weight shape \(w.shape))") }
        let m = w.shape[0], kh = w.shape[2], kw = w.shape[3]
        let group = node.int("group", default: 1)
        guard group >= 1, c % group == 0, m % group == 0, w.shape[1] == c / group else {
            throw ModelError.node(node, "weight shape \(w.shape) does not fit \(c) input channels in \(group) groups")
        }
        let bias = optional(inputs, 2)
        if let bias, bias.count != m { throw ModelError.node(node, "bias has \(bias.count) values for \(m) filters") }
        let strides = try checkedInts(node, "strides", count: 2, in: 1...windowLimit) ?? [1, 1]
        let dilations = try checkedInts(node, "dilations", count: 2, in: 1...windowLimit) ?? [1, 1]
        let padSpec = try padding(node)
        let cg = c / group, mg = m / group
        let depthwise = cg == 1 && group > 1
        if depthwise || manyFilters(perGroup: mg, inputsPerGroup: cg, group: group) {
            let (pads, oh, ow) = try outputGeometry(node, height: h, width: wd, kernel: (kh, kw), strides: strides,
                                                    dilations: dilations, padding: padSpec)
            let extent = [(kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1]
            if !depthwise && n > 1 && oh * ow <= GEMMConv.batchedPixels {
                return [GEMMConv.runBatched(x, w, bias: bias, group: group, strides: strides, dilations: dilations,
                                            pads: pads, outHeight: oh, outWidth: ow, clip: clip)]
            }
            // The C kernels index the output grid (rows as wide as the padded input) with 32 bits; the
            // direct kernel leaves larger planes to SGEMM.
            let gridBound = oh * (wd + pads.left + pads.right + extent[1]), tapCount = cg * kh * kw
            if depthwise {
                guard gridBound < Int(Int32.max) else {
                    throw ModelError.node(node, "a \(oh)×\(ow) output plane is too large for cnnfilter's depthwise kernel")
                }
                return [DepthwiseConv.run(x, w, bias: bias, group: group, strides: strides, dilations: dilations, pads: pads,
                                          outHeight: oh, outWidth: ow, clip: clip)]
            }
            if plan.path == .direct && gridBound < Int(Int32.max) && tapCount < Int(Int32.max) {
                let packed = plan.packed
                if WinogradConv.applies(weight: w, group: group, strides: strides, dilations: dilations),
                   WinogradConv.fits(channels: c, filters: m, outHeight: oh, outWidth: ow) {
                    return [WinogradConv.run(x, w, bias: bias, pads: pads, outHeight: oh, outWidth: ow, clip: clip,
                                             packed: packed)]
                }
                return [DirectConv.run(x, w, bias: bias, group: group, strides: strides, dilations: dilations, pads: pads,
                                       outHeight: oh, outWidth: ow, clip: clip, packed: packed)]
            }
            return [GEMMConv.run(x, w, bias: bias, group: group, strides: strides, dilations: dilations, pads: pads,
                                 outHeight: oh, outWidth: ow, clip: clip)]
        }
        var conv = Conv2D(bank: w.storage, filters: m, inputChannels: c, height: kh, width: kw, bias: bias?.storage, groups: group)
        conv.strideY = strides[0]; conv.strideX = strides[1]
        conv.dilationY = dilations[0]; conv.dilationX = dilations[1]
        conv.border = .zero
        conv.exactStride = false // ONNX floors
        conv.allowSeparable = false
        conv.padding = padSpec
        let input = Shape3(channels: c, height: h, width: wd)
        let plan: PipelinePlan
        do { plan = try Pipeline([conv]).plan(for: input) }
        catch { throw ModelError.node(node, "\(error)") }
        var y = try perItem(x, n: n, plan: plan)
        if let bounds = clip {
            y.storage.withUnsafeMutableBufferPointer { clamp($0.baseAddress!, count: $0.count, bounds) }
        }
        return [y]
    }

    /// The transpose of a convolution (a "deconvolution"): every input pixel
    /// scatters its value, weighted by the kernel, into the output. W is
    /// C × M/group × kh × kw; the output size is
    /// stride·(in − 1) + output_padding + (k − 1)·dilation + 1 − pads.
    static func convTranspose(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(inputs, 0, node), w = try required(inputs, 1, node)
        let (n, c, h, wd) = try nchw(x, node)
        guard w.rank == 4 else { throw ModelError.node(node, "only 2-D transposed convolutions are supported (weight shape \(w.shape))") }
        let group = node.int("group", default: 1)
        guard group >= 1, c % group == 0, w.shape[0] == c else {
            throw ModelError.node(node, "weight shape \(w.shape) does not fit \(c) input channels in \(group) groups")
        }
        let perOut = w.shape[1], m = perOut * group, kh = w.shape[2], kw = w.shape[3], perIn = c / group
        let s = try checkedInts(node, "strides", count: 2, in: 1...windowLimit) ?? [1, 1]
        let d = try checkedInts(node, "dilations", count: 2, in: 1...windowLimit) ?? [1, 1]
        let op = try checkedInts(node, "output_padding", count: 2, in: 0...windowLimit) ?? [0, 0]
        let extent = [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1]
        let full = [s[0] * (h - 1) + op[0] + extent[0], s[1] * (wd - 1) + op[1] + extent[1]]
        var pads = try checkedInts(node, "pads", count: 4, in: 0...windowLimit) ?? [0, 0, 0, 0]
        var out = [full[0] - pads[0] - pads[2], full[1] - pads[1] - pads[3]]
        let auto = node.string("auto_pad", default: "NOTSET")
        if let shape = try checkedInts(node, "output_shape", in: 1...windowLimit), shape.count >= 2 {
            out = Array(shape.suffix(2))
        } else if auto == "SAME_UPPER" || auto == "SAME_LOWER" {
            out = [h * s[0], wd * s[1]]
        }
        if node.ints("output_shape") != nil || auto == "SAME_UPPER" || auto == "SAME_LOWER" {
            // The specification's split of the total padding.
            for a in 0..<2 {
                let total = full[a] - out[a]
                let upper = auto == "SAME_UPPER"
                pads[a] = upper ? total / 2 : total - total / 2
                pads[a + 2] = total - pads[a]
            }
        }
        guard out[0] > 0, out[1] > 0 else { throw ModelError.node(node, "the output would be \(out[0])×\(out[1])") }
        let bias = optional(inputs, 2)
        if let bias, bias.count != m { throw ModelError.node(node, "bias has \(bias.count) values for \(m) filters") }
        _ = try MemoryBudget.count([n, m, out[0], out[1]], "the output", node: node)
        var y = Tensor(shape: [n, m, out[0], out[1]])
        for item in 0..<n {
            for oc in 0..<m {
                let b = bias?.storage[oc] ?? 0
                let base = ((item * m) + oc) * out[0] * out[1]
                for i in 0..<(out[0] * out[1]) { y.storage[base + i] = b }
            }
            for ic in 0..<c {
                let g = ic / perIn
                for iy in 0..<h { for ix in 0..<wd {
                    let v = x.storage[((item * c + ic) * h + iy) * wd + ix]
                    if v == 0 { continue }
                    for j in 0..<perOut {
                        let oc = g * perOut + j
                        let wBase = ((ic * perOut) + j) * kh * kw
                        let yBase = (item * m + oc) * out[0] * out[1]
                        for ky in 0..<kh {
                            let oy = iy * s[0] - pads[0] + ky * d[0]
                            guard oy >= 0 && oy < out[0] else { continue }
                            for kx in 0..<kw {
                                let ox = ix * s[1] - pads[1] + kx * d[1]
                                guard ox >= 0 && ox < out[1] else { continue }
                                y.storage[yBase + oy * out[1] + ox] += v * w.storage[wBase + ky * kw + kx]
                            }
                        }
                    }
                } }
            }
        }
        return [y]
    }

    /// ONNX's auto_pad and pads ([top, left, bottom, right] for 2-D).
    static func padding(_ node: Node) throws -> PaddingSpec {
        switch node.string("auto_pad", default: "NOTSET") {
        case "SAME_UPPER": return .same
        case "SAME_LOWER": return .sameLower
        case "VALID": return .valid
        default:
            let p = try checkedInts(node, "pads", count: 4, in: 0...windowLimit) ?? [0, 0, 0, 0]
            return .explicit(Padding(top: p[0], bottom: p[2], left: p[1], right: p[3]))
        }
    }

    /// The padding on each side and the output size of a 2-D convolution: the one computation the
    /// fast kernels and the backward pass share (the filter engine plans the same from `PaddingSpec`).
    static func outputGeometry(_ node: Node, height h: Int, width wd: Int, kernel: (Int, Int), strides: [Int],
                               dilations: [Int], padding padSpec: PaddingSpec) throws -> (Padding, Int, Int) {
        guard strides.count == 2, dilations.count == 2, dilations.allSatisfy({ $0 >= 1 }) else {
            throw ModelError.node(node,
                                  "strides \(strides) and dilations \(dilations) must be two values of at least 1")
        }
        do {
            let p = try WindowPlacement(height: h, width: wd,
                                        extent: ((kernel.0 - 1) * dilations[0] + 1, (kernel.1 - 1) * dilations[1] + 1),
                                        strides: (strides[0], strides[1]), padding: padSpec)
            return (p.padding, p.outHeight, p.outWidth)
        } catch { throw ModelError.node(node, "\(error)") }
    }

    static let gradients: [String: GradientRule] = ["Conv": GradientRule(inputs: [0, 1, 2], convBackward)]

    /// Conv's gradients on the forward pass's patch geometry: dW_g = Σ dY_g · patchesᵀ
    /// (`GEMMConv.weightGradient`), dX as a convolution of dY at stride 1 or else col2im(W_gᵀ · dY_g)
    /// (`foldedInputGradient`), and db = Σ dY.
    static func convBackward(_ c: BackwardContext) throws -> [Tensor?] {
        let node = c.node, x = try c.input(0), w = try c.input(1), dy = c.gradient()
        let (n, ch, h, wd) = try nchw(x, node)
        let m = w.shape[0], kh = w.shape[2], kw = w.shape[3], group = node.int("group", default: 1)
        let s = node.ints("strides") ?? [1, 1], d = node.ints("dilations") ?? [1, 1]
        let (pads, oh, ow) = try outputGeometry(node, height: h, width: wd, kernel: (kh, kw), strides: s, dilations: d,
                                                padding: try padding(node))
        guard dy.shape == [n, m, oh, ow] else {
            throw ModelError.node(node, "output gradient \(dy.shape) for \([n, m, oh, ow])")
        }
        let pixels = oh * ow
        let geometry = GEMMConv.Geometry(h: h, w: wd, kh: kh, kw: kw, sy: s[0], sx: s[1], dy: d[0], dx: d[1],
                                         top: pads.top, left: pads.left, oh: oh, ow: ow)
        // At stride 1, dX is the convolution of dY with the flipped filters, channels and filters swapped in
        // each group (a "full" convolution: padding extent − 1 − pad), on the forward pass's fast kernels.
        let extent = ((kh - 1) * d[0], (kw - 1) * d[1])
        // That convolution computes every input pixel from all its taps, the products every output pixel: it
        // pays where the two planes are about the same size (padding near "same"), not on LeNet's 5×5 → 1×1.
        let byConvolution = c.wants(0) && s == [1, 1] && [pads.top, pads.bottom].allSatisfy { $0 <= extent.0 }
            && [pads.left, pads.right].allSatisfy { $0 <= extent.1 } && h * wd <= 2 * pixels
        var dx = Tensor(shape: c.wants(0) && !byConvolution ? x.shape : [0]),
            dw = Tensor(shape: c.wants(1) ? w.shape : [0])
        if byConvolution {
            var transposed = node
            transposed.attributes["pads"] = .ints([extent.0 - pads.top, extent.1 - pads.left, extent.0 - pads.bottom,
                                                   extent.1 - pads.right])
            transposed.attributes["auto_pad"] = nil
            transposed.attributes["strides"] = .ints([1, 1])
            // Filters that stay fixed (explanations) come flipped and packed once (`preparedBackward`).
            let prepared = c.plan.convolution ?? Plan()
            dx = try conv(transposed, [dy, prepared.flipped ?? flippedTranspose(w, group: group)],
                          plan: Plan(path: prepared.path,
                                     packed: prepared.flipped == nil ? nil : prepared.flippedPacked))[0]
        }
        if c.wants(1) {
            dw.storage.withUnsafeMutableBufferPointer {
                GEMMConv.weightGradient(x, dy, into: $0.baseAddress!, group: group, filters: m, geometry: geometry)
            }
        }
        if c.wants(0) && !byConvolution {
            dx.storage.withUnsafeMutableBufferPointer {
                foldedInputGradient(dy, weight: w, into: $0.baseAddress!, channels: ch, group: group,
                                    geometry: geometry)
            }
        }
        var db: Tensor? = nil
        if c.wants(2) {
            var sums = Tensor(shape: [m])
            dy.storage.withUnsafeBufferPointer { g in
                for item in 0..<n { for j in 0..<m {
                    let base = g.baseAddress! + (item * m + j) * pixels
                    var acc: Float = 0
                    for p in 0..<pixels { acc += base[p] }
                    sums.storage[j] += acc
                } }
            }
            db = sums
        }
        return [c.wants(0) ? dx : nil, c.wants(1) ? dw : nil, db]
    }

    /// dX = col2im(W_gᵀ · dY_g), the adjoint of the forward pass's im2col, over chunks of batch items (about
    /// 4 M floats of patches, 16 MB), SGEMM on every core: where dX is not a convolution of dY (strides,
    /// planes much smaller than the input).
    static func foldedInputGradient(_ dy: Tensor, weight w: Tensor, into dxb: UnsafeMutablePointer<Float>,
                                    channels ch: Int, group: Int, geometry: GEMMConv.Geometry) {
        let n = dy.shape[0], m = w.shape[0], cg = ch / group, mg = m / group
        let k = cg * geometry.kh * geometry.kw, pixels = geometry.oh * geometry.ow, plane = geometry.h * geometry.w
        let chunk = max(1, min(n, (1 << 22) / max(k * pixels, 1)))
        let wide = chunk * pixels
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * wide)
        let outputs = UnsafeMutablePointer<Float>.allocate(capacity: mg * wide)
        defer { columns.deallocate(); outputs.deallocate() }
        w.storage.withUnsafeBufferPointer { ws in dy.storage.withUnsafeBufferPointer { gs in
            let gb = gs.baseAddress!
            for first in stride(from: 0, to: n, by: chunk) {
                let items = min(chunk, n - first), cols = items * pixels
                for g in 0..<group {
                    // dY of the group's filters as Mg × items·pixels.
                    parallelFor(items) { j in
                        for f in 0..<mg {
                            (outputs + f * cols + j * pixels).update(from: gb + ((first + j) * m + g * mg + f) * pixels,
                                                                     count: pixels)
                        }
                    }
                    BLAS.sgemm(transA: true, m: k, n: cols, k: mg, a: ws.baseAddress! + g * mg * k, lda: k,
                               b: outputs, ldb: cols, beta: 0, c: columns, ldc: cols)
                    // Each item's input channel takes its own rows only.
                    parallelFor(items * cg) { t in
                        let j = t / cg, ci = t % cg
                        let into = dxb + ((first + j) * ch + g * cg) * plane
                        for r in (ci * geometry.kh * geometry.kw)..<((ci + 1) * geometry.kh * geometry.kw) {
                            geometry.fold(columns + r * cols + j * pixels, row: r, into: into)
                        }
                    }
                }
            }
        } }
    }

    /// The weights of a convolution with many filters in the direct kernel's panels (Winograd's where it
    /// applies), when the direct path runs it; nil otherwise. The model runner packs each model's filters
    /// so once, and the backward pass packs fixed filters' transposes so.
    static func packed(_ w: Tensor, group: Int, strides: [Int], dilations: [Int], path: Path) -> Tensor? {
        guard path == .direct, w.rank == 4, group >= 1, w.shape[0] % group == 0,
              manyFilters(perGroup: w.shape[0] / group, inputsPerGroup: w.shape[1], group: group) else { return nil }
        if WinogradConv.applies(weight: w, group: group, strides: strides, dilations: dilations) {
            return WinogradConv.packedFilters(w)
        }
        return DirectConv.packedFilters(w, group: group)
    }

    /// The plan of a Conv whose filters `w` stay fixed while gradients flow back through it (an explanation),
    /// with the flipped, transposed filters its dX convolution reads, and their packing, made once.
    static func preparedBackward(_ node: Node, weight w: Tensor, plan: Plan) -> Plan? {
        guard (node.ints("strides") ?? [1, 1]) == [1, 1], w.rank == 4 else { return nil }
        let group = node.int("group", default: 1)
        guard group >= 1, w.shape[0] % group == 0 else { return nil }
        var prepared = plan
        prepared.flipped = flippedTranspose(w, group: group)
        prepared.flippedPacked = packed(prepared.flipped!, group: group, strides: [1, 1],
                                        dilations: node.ints("dilations") ?? [1, 1], path: plan.path)
        return prepared
    }

    /// Filters M × C/g × kh × kw as C × M/g × kh × kw, each rotated by 180°: W'[g·C/g + i, j] = rot(W[g·M/g + j, i]).
    static func flippedTranspose(_ w: Tensor, group: Int) -> Tensor {
        let m = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3], mg = m / group, taps = kh * kw
        return w.storage.withUnsafeBufferPointer { src in
            makeTensor(shape: [cg * group, mg, kh, kw]) { dst in
                for g in 0..<group { for j in 0..<mg { for i in 0..<cg {
                    let from = ((g * mg + j) * cg + i) * taps, to = ((g * cg + i) * mg + j) * taps
                    for t in 0..<taps { dst[to + t] = src[from + taps - 1 - t] }
                } } }
            }
        }
    }

    /// Runs a planned C×H×W pipeline on each item of an N×C×H×W batch.
    static func perItem(_ x: Tensor, n: Int, plan: PipelinePlan) throws -> Tensor {
        let inCount = plan.input.count, outCount = plan.output.count
        var out = Tensor(shape: [n, plan.output.channels, plan.output.height, plan.output.width])
        for i in 0..<n {
            let item = Tensor(shape: [plan.input.channels, plan.input.height, plan.input.width],
                              values: Array(x.storage[(i * inCount)..<((i + 1) * inCount)]))
            let y = plan.apply(item)
            out.storage.replaceSubrange((i * outCount)..<((i + 1) * outCount), with: y.storage)
        }
        return out
    }
}
