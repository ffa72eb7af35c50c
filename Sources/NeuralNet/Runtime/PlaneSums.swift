/// Sums over one plane of floats, sixteen lanes at a time: a plain loop adds one value after another (the
/// compiler keeps float additions in order), about four times slower. A plane's sum has float precision; the
/// callers add planes in Double.
enum PlaneSums {
    typealias Lanes = SIMD16<Float>

    /// Σ f(p[i]) for i in 0..<count, with `f` applied lane-wise.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ count: Int, _ f: (Lanes) -> Lanes) -> Float {
        var acc = Lanes(), i = 0
        let raw = UnsafeRawPointer(p)
        while i + 16 <= count {
            acc += f(raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self))
            i += 16
        }
        var rest = Lanes()
        for j in 0..<(count - i) { rest[j] = p[i + j] }
        // The padding lanes hold zeros; f(0) must not count for them.
        var tail = f(rest)
        for j in (count - i)..<16 { tail[j] = 0 }
        return (acc + tail).sum()
    }

    /// Σ f(p[i], q[i]) for i in 0..<count.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ count: Int,
                    _ f: (Lanes, Lanes) -> Lanes) -> Float {
        var acc = Lanes(), i = 0
        let rp = UnsafeRawPointer(p), rq = UnsafeRawPointer(q)
        while i + 16 <= count {
            acc += f(rp.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self),
                     rq.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self))
            i += 16
        }
        var a = Lanes(), b = Lanes()
        for j in 0..<(count - i) { a[j] = p[i + j]; b[j] = q[i + j] }
        var tail = f(a, b)
        for j in (count - i)..<16 { tail[j] = 0 }
        return (acc + tail).sum()
    }
}
