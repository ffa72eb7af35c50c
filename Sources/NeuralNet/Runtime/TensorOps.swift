import Tensors

/// Small helpers on N-D tensors for the operators.
extension Tensor {
    /// Row-major strides of a shape.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }

    /// A scalar or 1-element tensor's value.
    var scalar: Float? { storage.count == 1 ? storage[0] : nil }

    /// Values read as integers (shapes, axes, indices are stored as floats).
    /// Values beyond Int's range (INT64_MAX rounds up to 2^63 as a float) clamp to it.
    var integers: [Int] {
        storage.map { $0.isNaN ? 0 : ($0 >= 0x1p63 ? Int.max : ($0 < -0x1p63 ? Int.min : Int($0))) }
    }
}

/// A tensor of `shape` whose values `fill` writes, every one of them
/// (operators that overwrite their whole output skip the zero-filling).
func makeTensor(shape: [Int], _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) -> Tensor {
    let count = shape.reduce(1, *)
    let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        fill(buffer)
        initialized = count
    }
    return Tensor(shape: shape, values: values)
}

/// A new tensor holding `f` of each value of `x`: one pass, where changing a
/// copy of `x` in place would first copy it (the runner still holds `x`).
@inline(__always)
func mapValues(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
    x.storage.withUnsafeBufferPointer { p in
        makeTensor(shape: x.shape) { q in for i in 0..<p.count { q[i] = f(p[i]) } }
    }
}

/// NumPy broadcasting of two shapes.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let n = max(a.count, b.count)
    let pa = [Int](repeating: 1, count: n - a.count) + a, pb = [Int](repeating: 1, count: n - b.count) + b
    var out: [Int] = []
    for i in 0..<n {
        if pa[i] == pb[i] || pb[i] == 1 { out.append(pa[i]) }
        else if pa[i] == 1 { out.append(pb[i]) }
        else { return nil }
    }
    return out
}

/// Strides to read a tensor of `shape` as if broadcast to `target` (0 where repeated).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let padded = [Int](repeating: 1, count: target.count - shape.count) + shape
    let s = Tensor.strides(padded)
    return (0..<target.count).map { padded[$0] == 1 && target[$0] != 1 ? 0 : s[$0] }
}

/// Element-wise binary operation with broadcasting.
@inline(__always)
func elementwise(_ a: Tensor, _ b: Tensor, node: Node, _ f: (Float, Float) -> Float) throws -> Tensor {
    if a.shape == b.shape {
        return a.storage.withUnsafeBufferPointer { p in b.storage.withUnsafeBufferPointer { r in
            makeTensor(shape: a.shape) { q in for i in 0..<p.count { q[i] = f(p[i], r[i]) } }
        } }
    }
    guard let shape = broadcastShape(a.shape, b.shape) else {
        throw ModelError.node(node, "shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    _ = try MemoryBudget.count(shape, "the broadcast result", node: node)
    if shape == a.shape, let (outer, length, inner) = perChannel(b.shape, of: a.shape) {
        // One value of b for each run of `inner` values of a (a per-channel constant: standardisation, biases).
        return a.storage.withUnsafeBufferPointer { p in b.storage.withUnsafeBufferPointer { r in
            makeTensor(shape: shape) { q in
                for o in 0..<outer { for j in 0..<length {
                    let v = r[j], base = (o * length + j) * inner
                    for i in base..<(base + inner) { q[i] = f(p[i], v) }
                } }
            }
        } }
    }
    if shape == b.shape, let (outer, length, inner) = perChannel(a.shape, of: b.shape) {
        // The same with the operands the other way round (squeeze-and-excitation's `scale * x`).
        return a.storage.withUnsafeBufferPointer { r in b.storage.withUnsafeBufferPointer { p in
            makeTensor(shape: shape) { q in
                for o in 0..<outer { for j in 0..<length {
                    let v = r[j], base = (o * length + j) * inner
                    for i in base..<(base + inner) { q[i] = f(v, p[i]) }
                } }
            }
        } }
    }
    let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
    var out = Tensor(shape: shape)
    let n = shape.count
    var index = [Int](repeating: 0, count: n)
    var ia = 0, ib = 0
    for i in 0..<out.count {
        out.storage[i] = f(a.storage[ia], b.storage[ib])
        var k = n - 1
        while k >= 0 {
            index[k] += 1; ia += sa[k]; ib += sb[k]
            if index[k] < shape[k] { break }
            ia -= sa[k] * shape[k]; ib -= sb[k] * shape[k]; index[k] = 0
            k -= 1
        }
    }
    return out
}

/// When `b` broadcast to `a` holds one value per index of a run of adjacent axes of `a` (ones elsewhere:
/// a channel, or batch and channel, as squeeze-and-excitation's N×C×1×1 scales), or is a scalar: the
/// product of the axes before the run, the run's and the product of those after.
func perChannel(_ b: [Int], of a: [Int]) -> (Int, Int, Int)? {
    let padded = [Int](repeating: 1, count: max(0, a.count - b.count)) + b
    guard padded.count == a.count else { return nil }
    let axes = padded.indices.filter { padded[$0] != 1 }
    guard let first = axes.first, let last = axes.last else { return (1, 1, a.reduce(1, *)) }  // a scalar
    guard (first...last).allSatisfy({ padded[$0] == a[$0] }) else { return nil }
    return (a[..<first].reduce(1, *), a[first...last].reduce(1, *), a[(last + 1)...].reduce(1, *))
}

/// Normalises a possibly negative axis for a tensor of rank `rank`.
func axis(_ a: Int, rank: Int, node: Node) throws -> Int {
    let r = a < 0 ? a + rank : a
    guard r >= 0 && r < max(rank, 1) else { throw ModelError.node(node, "axis \(a) is out of range for rank \(rank)") }
    return r
}

/// A new tensor of `f(a[i], b[i])` for two tensors of one shape.
@inline(__always)
func zipValues(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    precondition(a.count == b.count, "shapes differ: \(a.shape) vs \(b.shape)")
    return a.storage.withUnsafeBufferPointer { p in b.storage.withUnsafeBufferPointer { r in
        makeTensor(shape: a.shape) { q in for i in 0..<p.count { q[i] = f(p[i], r[i]) } }
    } }
}

/// A new tensor of `f(a[i], b[i], c[i])` for three tensors of one shape.
@inline(__always)
func zipValues(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ f: (Float, Float, Float) -> Float) -> Tensor {
    precondition(a.count == b.count && b.count == c.count, "shapes differ: \(a.shape), \(b.shape), \(c.shape)")
    return a.storage.withUnsafeBufferPointer { p in b.storage.withUnsafeBufferPointer { r in
        c.storage.withUnsafeBufferPointer { s in
            makeTensor(shape: a.shape) { q in for i in 0..<p.count { q[i] = f(p[i], r[i], s[i]) } }
        }
    } }
}

/// The adjoint of broadcasting: `g` (of a broadcast shape) summed over the axes where `shape`
/// was repeated, so that it has `shape`.
func unbroadcast(_ g: Tensor, to shape: [Int]) -> Tensor {
    if g.shape == shape { return g }
    if shape.reduce(1, *) == g.count { return g.reshaped(shape) }
    let s = broadcastStrides(shape, to: g.shape), n = g.rank
    var out = Tensor(shape: shape)
    var index = [Int](repeating: 0, count: n), o = 0
    out.storage.withUnsafeMutableBufferPointer { q in
        for v in g.storage {
            q[o] += v
            var k = n - 1
            while k >= 0 {
                index[k] += 1; o += s[k]
                if index[k] < g.shape[k] { break }
                o -= s[k] * g.shape[k]; index[k] = 0
                k -= 1
            }
        }
    }
    return out
}

extension Tensor {
    /// Adds `other` (of the same shape) in place.
    mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "shapes differ: \(shape) vs \(other.shape)")
        other.storage.withUnsafeBufferPointer { r in
            storage.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] += r[i] } }
        }
    }
}

/// `x` repeated along the axes where NumPy broadcasting widens it to `shape` (which it must broadcast to).
func broadcast(_ x: Tensor, to shape: [Int]) -> Tensor {
    if x.shape == shape { return x }
    if x.count == shape.reduce(1, *) { return x.reshaped(shape) }
    let s = broadcastStrides(x.shape, to: shape), n = shape.count
    return x.storage.withUnsafeBufferPointer { p in
        makeTensor(shape: shape) { q in
            var index = [Int](repeating: 0, count: n), src = 0
            for i in 0..<q.count {
                q[i] = p[src]
                var k = n - 1
                while k >= 0 {
                    index[k] += 1; src += s[k]
                    if index[k] < shape[k] { break }
                    src -= s[k] * shape[k]; index[k] = 0
                    k -= 1
                }
            }
        }
    }
}
