@testable import Convolution
import Tensors

/// A deliberately plain convolution, written from the definition, that the
/// engine's vectorised, banded, multi-core path is checked against.
func naiveConv(_ x: Tensor, weights: [Float], filters: Int, perGroupIn: Int, kh: Int, kw: Int, bias: [Float],
               groups: Int, stride: Int, dilation: Int, pad: (t: Int, b: Int, l: Int, r: Int), border: String) -> Tensor {
    let (_, h, w) = x.planes
    let oh = (h + pad.t + pad.b - ((kh - 1) * dilation + 1)) / stride + 1
    let ow = (w + pad.l + pad.r - ((kw - 1) * dilation + 1)) / stride + 1
    var out = Tensor(shape: [filters, oh, ow])
    func fetch(_ ch: Int, _ yy: Int, _ xx: Int) -> Float {
        func map(_ i: Int, _ n: Int) -> Int? {
            if i >= 0 && i < n { return i }
            switch border {
            case "zero": return nil
            case "replicate": return i < 0 ? 0 : n - 1
            case "wrap": var j = i; while j < 0 { j += n }; return j % n
            default: // reflect without repeating the edge, by walking back and forth
                if n == 1 { return 0 }
                var j = i
                while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
                return j
            }
        }
        guard let my = map(yy, h), let mx = map(xx, w) else { return 0 }
        return x[ch, my, mx]
    }
    let outPerGroup = filters / groups
    for o in 0..<filters {
        let g = o / outPerGroup
        for y in 0..<oh { for xo in 0..<ow {
            var s = bias[o]
            for ci in 0..<perGroupIn {
                let ch = g * perGroupIn + ci
                for ky in 0..<kh { for kx in 0..<kw {
                    let wv = weights[((o * perGroupIn + ci) * kh + ky) * kw + kx]
                    s += wv * fetch(ch, y * stride - pad.t + ky * dilation, xo * stride - pad.l + kx * dilation)
                } }
            }
            out[o, y, xo] = s
        } }
    }
    return out
}

/// Deterministic pseudo-random numbers (a 64-bit LCG), so failures reproduce.
struct Rand {
    var state: UInt64
    mutating func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
    mutating func float() -> Float { Float(next() % 2001) / 1000 - 1 }
    mutating func tensor(_ shape: [Int]) -> Tensor {
        var values: [Float] = []
        for _ in 0..<shape.reduce(1, *) { values.append(float()) }
        return Tensor(shape: shape, values: values)
    }
}
