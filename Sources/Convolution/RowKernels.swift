// The engine's inner loops: one output row of a 2-D cross-correlation, summed
// over kernel taps. Vectorised across output pixels with SIMD16<Float>; the
// multiply and add are written separately because a fused `addProduct` calls
// the software fmaf in a build without an FMA target (see DESIGN.md).

typealias Vec = SIMD16<Float>

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always)
private func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

/// out[x] (+)= Σ_ky Σ_kx w[ky, kx] · rows[ky][x·stride + kx·dilation] for x in 0..<n.
/// With `initial` non-nil the row starts from that value (the bias) instead of
/// accumulating onto what `out` holds.
@inline(__always)
func correlateRow(out: UnsafeMutablePointer<Float>, count n: Int,
                  rows: UnsafePointer<UnsafePointer<Float>>, weights w: UnsafePointer<Float>,
                  kernelHeight kh: Int, kernelWidth kw: Int,
                  stride: Int, dilation d: Int, initial: Float?) {
    if stride == 1 {
        var x = 0
        while x + 32 <= n {
            var a0 = initial.map { Vec(repeating: $0) } ?? load(out + x)
            var a1 = initial.map { Vec(repeating: $0) } ?? load(out + x + 16)
            for ky in 0..<kh {
                let r = rows[ky] + x
                for kx in 0..<kw {
                    let wv = Vec(repeating: w[ky * kw + kx])
                    a0 += wv * load(r + kx * d)
                    a1 += wv * load(r + kx * d + 16)
                }
            }
            store(a0, out + x)
            store(a1, out + x + 16)
            x += 32
        }
        while x + 16 <= n {
            var a0 = initial.map { Vec(repeating: $0) } ?? load(out + x)
            for ky in 0..<kh {
                let r = rows[ky] + x
                for kx in 0..<kw { a0 += Vec(repeating: w[ky * kw + kx]) * load(r + kx * d) }
            }
            store(a0, out + x)
            x += 16
        }
        scalarTail(out: out, from: x, to: n, rows: rows, weights: w, kh: kh, kw: kw, stride: 1, d: d, initial: initial)
    } else {
        scalarTail(out: out, from: 0, to: n, rows: rows, weights: w, kh: kh, kw: kw, stride: stride, d: d, initial: initial)
    }
}

@inline(__always)
private func scalarTail(out: UnsafeMutablePointer<Float>, from start: Int, to n: Int,
                        rows: UnsafePointer<UnsafePointer<Float>>, weights w: UnsafePointer<Float>,
                        kh: Int, kw: Int, stride: Int, d: Int, initial: Float?) {
    var x = start
    while x < n {
        var acc = initial ?? out[x]
        let base = x * stride
        for ky in 0..<kh {
            let r = rows[ky] + base
            for kx in 0..<kw { acc += w[ky * kw + kx] * r[kx * d] }
        }
        out[x] = acc
        x += 1
    }
}

/// The columns of an output row whose window lies inside the input:
/// x·stride − padLeft ≥ 0 and x·stride − padLeft + (kw−1)·dilation ≤ W − 1.
@inline(__always)
func interiorColumns(outputWidth: Int, inputWidth w: Int, kernelWidth kw: Int, stride s: Int,
                     dilation d: Int, padLeft pl: Int) -> Range<Int> {
    let lo = (pl + s - 1) / s
    let top = w - 1 - (kw - 1) * d + pl
    guard top >= 0 else { return 0..<0 }
    let hi = min(outputWidth, top / s + 1)
    return lo < hi ? lo..<hi : 0..<0
}

/// The scalar path for output columns whose window crosses the left or right
/// border: each tap's column is mapped by the border mode. `rows` point at
/// column 0 of the input rows.
@inline(__always)
func correlateEdges(out: UnsafeMutablePointer<Float>, columns: Range<Int>,
                    rows: UnsafePointer<UnsafePointer<Float>>, inputWidth w: Int, weights: UnsafePointer<Float>,
                    kernelHeight kh: Int, kernelWidth kw: Int, stride s: Int, dilation d: Int, padLeft pl: Int,
                    border: BorderMode, initial: Float?) {
    for x in columns {
        var acc = initial ?? out[x]
        for kx in 0..<kw {
            guard let col = border.index(x * s - pl + kx * d, count: w) else { continue }
            for ky in 0..<kh { acc += weights[ky * kw + kx] * rows[ky][col] }
        }
        out[x] = acc
    }
}
