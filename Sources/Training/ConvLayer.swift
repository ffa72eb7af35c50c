import COpenBLAS
import Dispatch
import Foundation
import Tensors

/// A 2-D convolution (cross-correlation, as ONNX and PyTorch define it) with
/// stride, symmetric zero padding, dilation and groups, as im2col + SGEMM:
/// each item's patches are unrolled into a K × P matrix (K = C/g·kh·kw,
/// P = output pixels), and forward and both gradients are matrix products with it.
public final class ConvLayer: Layer {
    public let inChannels: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int
    public let stride: Int, padding: Int, dilation: Int, groups: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// The first layer of a network has no one to pass dInput to.
    var needsInputGradient = true

    private var columns: [Float] = []
    private var inputShape: [Int] = []
    private var outHeight = 0, outWidth = 0

    init(inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: Int = 1, padding: Int = 0, dilation: Int = 1,
         groups: Int = 1, bias: Bool = true, name: String, rng: inout RandomSource) {
        self.inChannels = inChannels; self.outChannels = outChannels
        kernelHeight = kernel.0; kernelWidth = kernel.1
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        let fanIn = inChannels / groups * kernel.0 * kernel.1
        weight = .fanIn("\(name).weight", shape: [outChannels, inChannels / groups, kernel.0, kernel.1], fanIn: fanIn, rng: &rng)
        self.bias = bias ? .fanIn("\(name).bias", shape: [outChannels], fanIn: fanIn, rng: &rng, decays: false) : nil
    }

    public var description: String {
        var s = "conv \(outChannels) \(kernelHeight == kernelWidth ? "\(kernelHeight)" : "\(kernelHeight)x\(kernelWidth)")"
        if stride != 1 { s += " stride=\(stride)" }
        if padding != 0 { s += " pad=\(padding)" }
        if dilation != 1 { s += " dilation=\(dilation)" }
        if groups != 1 { s += " groups=\(groups)" }
        if bias == nil { s += " bias=no" }
        return s
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    func outputSize(_ h: Int, _ w: Int) -> (Int, Int) {
        let eh = dilation * (kernelHeight - 1) + 1, ew = dilation * (kernelWidth - 1) + 1
        return ((h + 2 * padding - eh) / stride + 1, (w + 2 * padding - ew) / stride + 1)
    }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard input.count == 3 else { throw TrainingError("a convolution needs C×H×W input, got \(shapeText(input))") }
        guard input[0] == inChannels else { throw TrainingError("expects \(inChannels) input channels, got \(input[0])") }
        let eh = dilation * (kernelHeight - 1) + 1, ew = dilation * (kernelWidth - 1) + 1
        guard input[1] + 2 * padding >= eh, input[2] + 2 * padding >= ew else {
            throw TrainingError("a \(kernelHeight)×\(kernelWidth) kernel does not fit a \(input[1])×\(input[2]) input with padding \(padding)")
        }
        let (oh, ow) = outputSize(input[1], input[2])
        return [outChannels, oh, ow]
    }

    /// Work is split by batch items into one chunk per core; each item's
    /// patches are unrolled into its own K × P block (im2col) and multiplied
    /// with a single-threaded SGEMM (Trainer sets OpenBLAS to one thread)
    /// straight into, or out of, the item's N×C×H×W slice: no reordering of
    /// outputs, and no core waits on another until the weight gradients are summed.
    static let chunks = max(1, ProcessInfo.processInfo.activeProcessorCount)
    private var partialGradients: [Float] = []

    private func chunkItems(_ n: Int, _ chunk: Int, of count: Int) -> Range<Int> {
        (chunk * n / count)..<((chunk + 1) * n / count)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let n = x.shape[0], h = x.shape[2], w = x.shape[3]
        (outHeight, outWidth) = outputSize(h, w)
        inputShape = x.shape
        let cg = inChannels / groups, mg = outChannels / groups, k = cg * kernelHeight * kernelWidth
        let p = outHeight * outWidth, m = outChannels, count = min(Self.chunks, n)
        // A layer with one output pixel per filter (LeNet's C5: a fully connected layer
        // written as a convolution) multiplies all items of a chunk at once: one SGEMM, not one per item.
        let single = p == 1 && groups == 1
        // Training keeps every item's block for the backward pass; inference needs one per core.
        let perItem = training || single
        resize(&columns, (perItem ? n : count) * groups * k * p)
        var y = Tensor(uninitializedShape: [n, outChannels, outHeight, outWidth]) // every value is set to its bias first
        let b = bias?.value ?? [Float](repeating: 0, count: m)
        x.storage.withUnsafeBufferPointer { xs in
            weight.value.withUnsafeBufferPointer { ws in
                columns.withUnsafeMutableBufferPointer { cols in
                    y.storage.withUnsafeMutableBufferPointer { ys in
                        let src = xs.baseAddress!, colBase = cols.baseAddress!, out = ys.baseAddress!
                        DispatchQueue.concurrentPerform(iterations: count) { chunk in
                            let items = chunkItems(n, chunk, of: count)
                            if single, let first = items.first {
                                for item in items {
                                    (out + item * m).update(from: b, count: m)
                                    unfold(src, item: item, group: 0, into: colBase + item * k)
                                }
                                // y[items] (rows × M) += X[items] (rows × K) · Wᵀ
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(items.count), Int32(m), Int32(k), 1,
                                            colBase + first * k, Int32(k), ws.baseAddress!, Int32(k), 1, out + first * m, Int32(m))
                                return
                            }
                            for item in items {
                                let yi = out + item * m * p
                                for oc in 0..<m { (yi + oc * p).update(repeating: b[oc], count: p) }
                                for g in 0..<groups {
                                    let block = colBase + ((perItem ? item : chunk) * groups + g) * k * p
                                    unfold(src, item: item, group: g, into: block)
                                    // y[item, group's channels] (+)= W_g · columns
                                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(mg), Int32(p), Int32(k), 1,
                                                ws.baseAddress! + g * mg * k, Int32(k), block, Int32(p), 1, yi + g * mg * p, Int32(p))
                                }
                            }
                        }
                    }
                }
            }
        }
        if !training { columns = [] }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let n = inputShape[0]
        let cg = inChannels / groups, mg = outChannels / groups, k = cg * kernelHeight * kernelWidth
        let p = outHeight * outWidth, m = outChannels, count = min(Self.chunks, n)
        let perChunk = m * k + m // weight and bias gradients of one chunk
        let single = p == 1 && groups == 1
        resize(&partialGradients, count * perChunk)
        var dx = Tensor(shape: needsInputGradient ? inputShape : [0])
        let needsInput = needsInputGradient
        dy.storage.withUnsafeBufferPointer { ds in
            columns.withUnsafeMutableBufferPointer { cols in
                weight.value.withUnsafeBufferPointer { ws in
                    dx.storage.withUnsafeMutableBufferPointer { dxs in
                        partialGradients.withUnsafeMutableBufferPointer { parts in
                            let dyBase = ds.baseAddress!, colBase = cols.baseAddress!, dxBase = dxs.baseAddress, partBase = parts.baseAddress!
                            DispatchQueue.concurrentPerform(iterations: count) { chunk in
                                let partial = partBase + chunk * perChunk
                                partial.update(repeating: 0, count: perChunk)
                                let items = chunkItems(n, chunk, of: count)
                                if single, let first = items.first {
                                    let rows = Int32(items.count), dyc = dyBase + first * m, xc = colBase + first * k
                                    for item in items { for oc in 0..<m { partial[m * k + oc] += dyBase[item * m + oc] } }
                                    // dW += dYᵀ · X, then dX = dY · W over X, folded back per item.
                                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(k), rows, 1,
                                                dyc, Int32(m), xc, Int32(k), 1, partial, Int32(k))
                                    guard needsInput else { return }
                                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, Int32(k), Int32(m), 1,
                                                dyc, Int32(m), ws.baseAddress!, Int32(k), 0, xc, Int32(k))
                                    for item in items { fold(colBase + item * k, item: item, group: 0, into: dxBase!) }
                                    return
                                }
                                for item in items {
                                    let dyi = dyBase + item * m * p
                                    for oc in 0..<m {
                                        var sum: Float = 0
                                        for i in 0..<p { sum += dyi[oc * p + i] }
                                        partial[m * k + oc] += sum
                                    }
                                    for g in 0..<groups {
                                        let block = colBase + (item * groups + g) * k * p, dyg = dyi + g * mg * p
                                        // dW_g += dY_g · columnsᵀ
                                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(mg), Int32(k), Int32(p), 1,
                                                    dyg, Int32(p), block, Int32(p), 1, partial + g * mg * k, Int32(k))
                                        guard needsInput else { continue }
                                        // dColumns = W_gᵀ · dY_g, over the columns it no longer needs, then folded back.
                                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(p), Int32(mg), 1,
                                                    ws.baseAddress! + g * mg * k, Int32(k), dyg, Int32(p), 0, block, Int32(p))
                                        fold(block, item: item, group: g, into: dxBase!)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for chunk in 0..<count {
            let base = chunk * perChunk
            for i in 0..<(m * k) { weight.grad[i] += partialGradients[base + i] }
            if let bias { for oc in 0..<m { bias.grad[oc] += partialGradients[base + m * k + oc] } }
        }
        return needsInputGradient ? dx : Tensor(shape: inputShape)
    }

    /// im2col for one item and group: row (ci, ky, kx) of the K × P block holds
    /// the input pixel under that tap for each output pixel (zero outside).
    private func unfold(_ x: UnsafePointer<Float>, item: Int, group: Int, into cols: UnsafeMutablePointer<Float>) {
        let h = inputShape[2], w = inputShape[3]
        let cg = inChannels / groups, p = outHeight * outWidth
        for ci in 0..<cg {
            let plane = x + ((item * inChannels) + group * cg + ci) * h * w
            for ky in 0..<kernelHeight { for kx in 0..<kernelWidth {
                let row = cols + ((ci * kernelHeight + ky) * kernelWidth + kx) * p
                let shift = kx * dilation - padding
                for oy in 0..<outHeight {
                    let iy = oy * stride - padding + ky * dilation
                    let dst = row + oy * outWidth
                    guard iy >= 0 && iy < h else { dst.update(repeating: 0, count: outWidth); continue }
                    let src = plane + iy * w
                    if stride == 1 {
                        // Rows are short (28 values or fewer in small networks): no memmove calls.
                        let lo = min(outWidth, max(0, -shift)), hi = max(lo, min(outWidth, w - shift))
                        for ox in 0..<lo { dst[ox] = 0 }
                        if hi > lo { copyFloats(dst + lo, src + lo + shift, hi - lo) }
                        for ox in hi..<outWidth { dst[ox] = 0 }
                    } else {
                        for ox in 0..<outWidth {
                            let ix = ox * stride + shift
                            dst[ox] = ix >= 0 && ix < w ? src[ix] : 0
                        }
                    }
                }
            } }
        }
    }

    /// col2im: the transpose of `unfold`, adding every patch value back to its pixel.
    private func fold(_ cols: UnsafePointer<Float>, item: Int, group: Int, into dx: UnsafeMutablePointer<Float>) {
        let h = inputShape[2], w = inputShape[3]
        let cg = inChannels / groups, p = outHeight * outWidth
        for ci in 0..<cg {
            let plane = dx + ((item * inChannels) + group * cg + ci) * h * w
            for ky in 0..<kernelHeight { for kx in 0..<kernelWidth {
                let row = cols + ((ci * kernelHeight + ky) * kernelWidth + kx) * p
                let shift = kx * dilation - padding
                for oy in 0..<outHeight {
                    let iy = oy * stride - padding + ky * dilation
                    guard iy >= 0 && iy < h else { continue }
                    let src = row + oy * outWidth, dst = plane + iy * w
                    if stride == 1 {
                        let lo = min(outWidth, max(0, -shift)), hi = max(lo, min(outWidth, w - shift))
                        if hi > lo { addFloats(dst + lo + shift, src + lo, hi - lo) }
                    } else {
                        for ox in 0..<outWidth {
                            let ix = ox * stride + shift
                            if ix >= 0 && ix < w { dst[ix] += src[ox] }
                        }
                    }
                }
            } }
        }
    }
}

/// Sizes a work buffer (allocating only when the size changes); callers overwrite it.
func resize(_ buffer: inout [Float], _ count: Int) {
    if buffer.count != count { buffer = [Float](repeating: 0, count: count) }
}

func shapeText(_ s: [Int]) -> String { s.map(String.init).joined(separator: "×") }
