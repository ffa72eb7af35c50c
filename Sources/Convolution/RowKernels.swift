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

/// acc += w · x: one fused instruction when the build targets a CPU with
/// FMA (`make build-native` defines CNNFILTER_FMA); otherwise a multiply and
/// an add, since a portable build would call the software `fmaf` per lane.
@inline(__always)
private func madd(_ acc: inout Vec, _ w: Vec, _ x: Vec) {
    #if CNNFILTER_FMA
    acc.addProduct(w, x)
    #else
    acc += w * x
    #endif
}

/// A vertical 1-D pass for four consecutive output rows at once: output row
/// j (0...3) is Σ_k w[k] · rows[j + k]. Each input row is loaded once for all
/// four (instead of once per output row), which is what limits a tall
/// kernel's vertical pass. `out` holds the four rows `ld` floats apart.
/// Vectors of 16 lanes with AVX-512's 32 registers, of 8 in a portable (SSE)
/// build, where four 16-lane accumulators would not fit its 16 registers.
@inline(__always)
func verticalFour(out: UnsafeMutablePointer<Float>, ld: Int, count n: Int,
                  rows: UnsafePointer<UnsafePointer<Float>>, weights w: UnsafePointer<Float>, taps kh: Int) {
    #if CNNFILTER_FMA
    let x = verticalFour(SIMD16<Float>.self, out: out, ld: ld, count: n, rows: rows, weights: w, taps: kh)
    #else
    let x = verticalFour(SIMD8<Float>.self, out: out, ld: ld, count: n, rows: rows, weights: w, taps: kh)
    #endif
    for i in x..<n {
        for j in 0..<4 {
            var acc: Float = 0
            for k in 0..<kh { acc += w[k] * rows[j &+ k][i] }
            out[j * ld + i] = acc
        }
    }
}

/// The vector part of `verticalFour`; returns where the scalar tail starts.
@inline(__always)
private func verticalFour<V: SIMD>(_: V.Type, out: UnsafeMutablePointer<Float>, ld: Int, count n: Int,
                                   rows: UnsafePointer<UnsafePointer<Float>>, weights w: UnsafePointer<Float>,
                                   taps kh: Int) -> Int where V.Scalar == Float {
    @inline(__always) func ld1(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) func st(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
    @inline(__always) func fma(_ acc: inout V, _ a: Float, _ b: V) {
        #if CNNFILTER_FMA
        acc.addProduct(V(repeating: a), b)
        #else
        acc += a * b
        #endif
    }
    var x = 0
    while x &+ V.scalarCount <= n {
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        for i in 0..<(kh &+ 3) {
            let v = ld1(rows[i] + x)
            if i < kh { fma(&a0, w[i], v) }
            if i >= 1 && i &- 1 < kh { fma(&a1, w[i &- 1], v) }
            if i >= 2 && i &- 2 < kh { fma(&a2, w[i &- 2], v) }
            if i >= 3 && i &- 3 < kh { fma(&a3, w[i &- 3], v) }
        }
        st(a0, out + x); st(a1, out + ld + x); st(a2, out + 2 * ld + x); st(a3, out + 3 * ld + x)
        x &+= V.scalarCount
    }
    return x
}

/// One non-zero weight of a kernel: its row, its column offset (kx · dilation)
/// and its value. Kernels run as lists of taps, so zeros cost nothing (a
/// Laplacian-4 or an "X" kernel has 4 or 5 of 9, a disk 177 of 225).
public struct Tap: Sendable {
    public var row: Int
    public var offset: Int
    public var weight: Float
}

/// The taps of a kh×kw kernel, zeros dropped.
func taps(of w: UnsafePointer<Float>, kernelHeight kh: Int, kernelWidth kw: Int, dilation d: Int) -> [Tap] {
    var result: [Tap] = []
    for ky in 0..<kh { for kx in 0..<kw where w[ky * kw + kx] != 0 {
        result.append(Tap(row: ky, offset: kx * d, weight: w[ky * kw + kx]))
    } }
    return result
}

/// out[x] (+)= Σ taps: weight · rows[row][x·stride + offset], for x in 0..<n.
@inline(__always)
func correlateTaps(out: UnsafeMutablePointer<Float>, count n: Int, rows: UnsafePointer<UnsafePointer<Float>>,
                   taps: UnsafeBufferPointer<Tap>, stride: Int, initial: Float?) {
    var x = 0
    if stride == 1 {
        #if CNNFILTER_FMA
        while x &+ 64 <= n {
            var a0 = initial.map { Vec(repeating: $0) } ?? load(out + x)
            var a1 = initial.map { Vec(repeating: $0) } ?? load(out + x + 16)
            var a2 = initial.map { Vec(repeating: $0) } ?? load(out + x + 32)
            var a3 = initial.map { Vec(repeating: $0) } ?? load(out + x + 48)
            for t in taps {
                let r = rows[t.row] + (x &+ t.offset), wv = Vec(repeating: t.weight)
                madd(&a0, wv, load(r)); madd(&a1, wv, load(r + 16)); madd(&a2, wv, load(r + 32)); madd(&a3, wv, load(r + 48))
            }
            store(a0, out + x); store(a1, out + x + 16); store(a2, out + x + 32); store(a3, out + x + 48)
            x &+= 64
        }
        #else
        while x &+ 32 <= n {
            var a0 = initial.map { Vec(repeating: $0) } ?? load(out + x)
            var a1 = initial.map { Vec(repeating: $0) } ?? load(out + x + 16)
            for t in taps {
                let r = rows[t.row] + (x &+ t.offset), wv = Vec(repeating: t.weight)
                madd(&a0, wv, load(r)); madd(&a1, wv, load(r + 16))
            }
            store(a0, out + x); store(a1, out + x + 16)
            x &+= 32
        }
        #endif
        while x &+ 16 <= n {
            var a0 = initial.map { Vec(repeating: $0) } ?? load(out + x)
            for t in taps { madd(&a0, Vec(repeating: t.weight), load(rows[t.row] + (x &+ t.offset))) }
            store(a0, out + x)
            x &+= 16
        }
    }
    while x < n {
        var acc = initial ?? out[x]
        let base = x &* stride
        for t in taps { acc += t.weight * rows[t.row][base &+ t.offset] }
        out[x] = acc
        x &+= 1
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
