import Tensors

/// Gemm and MatMul.
enum LinearOps {
    static let table: [String: Operator] = ["Gemm": gemm, "MatMul": matmul]

    /// C[m][n] = Σ_k A[m][k] · B[k][n], A row-major with strides (sa0, sa1), B likewise.
    static func multiply(_ a: UnsafePointer<Float>, _ sa: (Int, Int), _ b: UnsafePointer<Float>, _ sb: (Int, Int),
                         m: Int, k: Int, n: Int, into c: UnsafeMutablePointer<Float>) {
        for i in 0..<m {
            let row = c + i * n
            for j in 0..<n { row[j] = 0 }
            for kk in 0..<k {
                let av = a[i * sa.0 + kk * sa.1]
                if av == 0 { continue }
                let brow = b + kk * sb.0
                if sb.1 == 1 { for j in 0..<n { row[j] += av * brow[j] } }
                else { for j in 0..<n { row[j] += av * brow[j * sb.1] } }
            }
        }
    }

    static func gemm(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let a = try required(inputs, 0, node), b = try required(inputs, 1, node)
        guard a.rank == 2, b.rank == 2 else { throw ModelError.node(node, "expects 2-D A and B, got \(a.shape) and \(b.shape)") }
        let ta = node.int("transA", default: 0) == 1, tb = node.int("transB", default: 0) == 1
        let alpha = node.float("alpha", default: 1), beta = node.float("beta", default: 1)
        let m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1]
        let kb = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1]
        guard k == kb else { throw ModelError.node(node, "A is \(a.shape) and B is \(b.shape): inner sizes \(k) and \(kb) differ") }
        var y = Tensor(shape: [m, n])
        a.storage.withUnsafeBufferPointer { pa in b.storage.withUnsafeBufferPointer { pb in y.storage.withUnsafeMutableBufferPointer { pc in
            multiply(pa.baseAddress!, ta ? (1, a.shape[1]) : (a.shape[1], 1), pb.baseAddress!, tb ? (1, b.shape[1]) : (b.shape[1], 1),
                     m: m, k: k, n: n, into: pc.baseAddress!)
        } } }
        if alpha != 1 { for i in 0..<y.count { y.storage[i] *= alpha } }
        if let c = optional(inputs, 2) {
            let scaled = beta == 1 ? c : Tensor(shape: c.shape, values: c.storage.map { $0 * beta })
            y = try elementwise(y, scaled, node: node, +)
        }
        return [y]
    }

    /// NumPy matmul for ranks ≥ 2 (leading dimensions broadcast), and 1-D operands.
    static func matmul(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        var a = try required(inputs, 0, node), b = try required(inputs, 1, node)
        let aVector = a.rank == 1, bVector = b.rank == 1
        if aVector { a = a.reshaped([1, a.shape[0]]) }
        if bVector { b = b.reshaped([b.shape[0], 1]) }
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], kb = b.shape[b.rank - 2], n = b.shape[b.rank - 1]
        guard k == kb else { throw ModelError.node(node, "shapes \(a.shape) and \(b.shape) cannot be multiplied") }
        guard let batch = broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
            throw ModelError.node(node, "batch dimensions of \(a.shape) and \(b.shape) do not broadcast")
        }
        let count = batch.reduce(1, *)
        let sa = broadcastStrides(Array(a.shape.dropLast(2)), to: batch), sb = broadcastStrides(Array(b.shape.dropLast(2)), to: batch)
        var y = Tensor(shape: batch + [m, n])
        a.storage.withUnsafeBufferPointer { pa in b.storage.withUnsafeBufferPointer { pb in y.storage.withUnsafeMutableBufferPointer { pc in
            for i in 0..<count {
                var rem = i, oa = 0, ob = 0
                for d in stride(from: batch.count - 1, through: 0, by: -1) {
                    let idx = rem % batch[d]; rem /= batch[d]
                    oa += idx * sa[d]; ob += idx * sb[d]
                }
                multiply(pa.baseAddress! + oa * m * k, (k, 1), pb.baseAddress! + ob * k * n, (n, 1), m: m, k: k, n: n,
                         into: pc.baseAddress! + i * m * n)
            }
        } } }
        var shape = batch + [m, n]
        if aVector { shape.remove(at: shape.count - 2) }
        if bVector { shape.removeLast() }
        return [y.reshaped(shape)]
    }
}
