import Dispatch
import Tensors

/// Max or average pooling over k×k windows with a stride and symmetric
/// padding. Padding never wins a max; an average divides by k·k, padding
/// included (PyTorch's default, exported as count_include_pad = 1).
public final class PoolLayer: Layer {
    public enum Kind: String, Sendable { case max = "maxpool", average = "avgpool" }
    public let kind: Kind, size: Int, stride: Int, padding: Int
    private var inputShape: [Int] = []
    private var winners: [Int32] = []
    /// The input, for the 2×2 fast path, which finds its winners in the backward pass.
    private var input = Tensor(shape: [0])
    private var outHeight = 0, outWidth = 0

    init(_ kind: Kind, size: Int, stride: Int, padding: Int) {
        self.kind = kind; self.size = size; self.stride = stride; self.padding = padding
    }

    public var description: String {
        "\(kind.rawValue) \(size)" + (stride != size ? " stride=\(stride)" : "") + (padding != 0 ? " pad=\(padding)" : "")
    }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard input.count == 3 else { throw TrainingError("pooling needs C×H×W input, got \(shapeText(input))") }
        guard input[1] + 2 * padding >= size, input[2] + 2 * padding >= size else {
            throw TrainingError("a \(size)×\(size) window does not fit a \(input[1])×\(input[2]) input")
        }
        guard padding * 2 <= size else { throw TrainingError("padding \(padding) is more than half the window \(size)") }
        return [input[0], (input[1] + 2 * padding - size) / stride + 1, (input[2] + 2 * padding - size) / stride + 1]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        inputShape = x.shape
        outHeight = (h + 2 * padding - size) / stride + 1; outWidth = (w + 2 * padding - size) / stride + 1
        let oh = outHeight, ow = outWidth, planes = n * c
        var y = Tensor(uninitializedShape: [n, c, oh, ow])
        let (k, s, pad, isMax) = (size, stride, padding, kind == .max)
        let pairs = isMax && k == 2 && s == 2 && pad == 0
        if isMax && !pairs { winners = [Int32](repeating: 0, count: planes * oh * ow) } else { winners = [] }
        if pairs && training { input = x }
        x.storage.withUnsafeBufferPointer { xs in
            y.storage.withUnsafeMutableBufferPointer { ys in
                winners.withUnsafeMutableBufferPointer { win in
                    let src = xs.baseAddress!, dst = ys.baseAddress!, wb = win.baseAddress
                    parallelRanges(planes) { range in for plane in range {
                        let xp = src + plane * h * w, yp = dst + plane * oh * ow
                        if pairs {
                            // The common case: branch-free maxima; the winners are found again in backward.
                            for oy in 0..<oh {
                                let r0 = xp + 2 * oy * w, r1 = r0 + w, out = yp + oy * ow
                                for ox in 0..<ow { out[ox] = max(max(r0[2 * ox], r0[2 * ox + 1]), max(r1[2 * ox], r1[2 * ox + 1])) }
                            }
                            continue
                        }
                        for oy in 0..<oh { for ox in 0..<ow {
                            let y0 = oy * s - pad, x0 = ox * s - pad
                            var best = -Float.infinity, at = -1, sum: Float = 0
                            for iy in max(y0, 0)..<min(y0 + k, h) { for ix in max(x0, 0)..<min(x0 + k, w) {
                                let v = xp[iy * w + ix]
                                if v > best || at < 0 { best = v; at = iy * w + ix }
                                sum += v
                            } }
                            if isMax { yp[oy * ow + ox] = best; wb![plane * oh * ow + oy * ow + ox] = Int32(at) }
                            else { yp[oy * ow + ox] = sum / Float(k * k) }
                        } }
                    } }
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let h = inputShape[2], w = inputShape[3], planes = inputShape[0] * inputShape[1]
        let oh = outHeight, ow = outWidth, (k, s, pad, isMax) = (size, stride, padding, kind == .max)
        let pairs = isMax && k == 2 && s == 2 && pad == 0
        var dx = Tensor(shape: inputShape)
        dy.storage.withUnsafeBufferPointer { ds in
            dx.storage.withUnsafeMutableBufferPointer { dxs in
                winners.withUnsafeBufferPointer { win in
                  input.storage.withUnsafeBufferPointer { xs in
                    let src = ds.baseAddress!, dst = dxs.baseAddress!, wb = win.baseAddress, xb = xs.baseAddress
                    parallelRanges(planes) { range in for plane in range {
                        let g = src + plane * oh * ow, d = dst + plane * h * w
                        if pairs {
                            // The first of the four that equals the maximum wins, as the forward pass would have chosen.
                            let xp = xb! + plane * h * w
                            for oy in 0..<oh { for ox in 0..<ow {
                                // Selects, not branches: which of four values wins is unpredictable.
                                let a = 2 * oy * w + 2 * ox
                                var best = xp[a], at = a
                                let v1 = xp[a + 1], v2 = xp[a + w], v3 = xp[a + w + 1]
                                at = v1 > best ? a + 1 : at; best = max(v1, best)
                                at = v2 > best ? a + w : at; best = max(v2, best)
                                at = v3 > best ? a + w + 1 : at
                                d[at] += g[oy * ow + ox]
                            } }
                            continue
                        }
                        for o in 0..<(oh * ow) {
                            if isMax { d[Int(wb![plane * oh * ow + o])] += g[o]; continue }
                            let y0 = (o / ow) * s - pad, x0 = (o % ow) * s - pad, share = g[o] / Float(k * k)
                            for iy in max(y0, 0)..<min(y0 + k, h) { for ix in max(x0, 0)..<min(x0 + k, w) { d[iy * w + ix] += share } }
                        }
                    } }
                  }
                }
            }
        }
        return dx
    }
}
