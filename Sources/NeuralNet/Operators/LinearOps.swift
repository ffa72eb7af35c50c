import Tensors

/// Gemm and MatMul, as SGEMM (`BLAS.sgemm`).
enum LinearOps {
    static let table: [String: Operator] = ["Gemm": gemm, "MatMul": matmul]

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
            BLAS.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: max(1, a.shape[1]),
                       b: pb.baseAddress!, ldb: max(1, b.shape[1]), beta: 0, c: pc.baseAddress!, ldc: max(1, n))
        } } }
        if let c = optional(inputs, 2), c.count == n, c.shape.allSatisfy({ $0 == 1 }) || c.shape.last == n, c.rank <= 2 {
            // A bias row (the common case): added in place.
            y.storage.withUnsafeMutableBufferPointer { py in
                for i in 0..<m { for j in 0..<n { py[i * n + j] += beta * c.storage[j] } }
            }
        } else if let c = optional(inputs, 2) {
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
                BLAS.sgemm(m: m, n: n, k: k, a: pa.baseAddress! + oa * m * k, lda: max(k, 1), b: pb.baseAddress! + ob * k * n,
                           ldb: max(n, 1), beta: 0, c: pc.baseAddress! + i * m * n, ldc: max(n, 1))
            }
        } } }
        var shape = batch + [m, n]
        if aVector { shape.remove(at: shape.count - 2) }
        if bVector { shape.removeLast() }
        return [y.reshaped(shape)]
    }

    // MARK: Backward

    static let gradients: [String: GradientRule] = ["Gemm": GradientRule(inputs: [0, 1, 2], gemmBackward),
                                                    "MatMul": GradientRule(inputs: [0, 1], matmulBackward)]

    /// Y = α·op(A)·op(B) + β·C: d op(A) = α·dY·op(B)ᵀ, d op(B) = α·op(A)ᵀ·dY, dC = β·dY summed to C's shape.
    static func gemmBackward(_ c: BackwardContext) throws -> [Tensor?] {
        let a = try c.input(0), b = try c.input(1), g = c.gradient()
        let ta = c.node.int("transA", default: 0) == 1, tb = c.node.int("transB", default: 0) == 1
        let alpha = c.node.float("alpha", default: 1), beta = c.node.float("beta", default: 1)
        let m = g.shape[0], n = g.shape[1], k = ta ? a.shape[0] : a.shape[1]
        let lda = max(1, a.shape[1]), ldb = max(1, b.shape[1])
        var da: Tensor? = nil, db: Tensor? = nil, dc: Tensor? = nil
        a.storage.withUnsafeBufferPointer { pa in b.storage.withUnsafeBufferPointer { pb in
            g.storage.withUnsafeBufferPointer { pg in
            if c.wants(0) {
                var t = Tensor(shape: a.shape)
                t.storage.withUnsafeMutableBufferPointer { pt in
                    if ta {  // A is k × m: dA = α·op(B)·dYᵀ
                        BLAS.sgemm(transA: tb, transB: true, m: k, n: m, k: n, alpha: alpha,
                                   a: pb.baseAddress!, lda: ldb,
                                   b: pg.baseAddress!, ldb: max(1, n), beta: 0, c: pt.baseAddress!, ldc: max(1, m))
                    } else { // A is m × k: dA = α·dY·op(B)ᵀ
                        BLAS.sgemm(transB: !tb, m: m, n: k, k: n, alpha: alpha, a: pg.baseAddress!, lda: max(1, n),
                                   b: pb.baseAddress!, ldb: ldb, beta: 0, c: pt.baseAddress!, ldc: max(1, k))
                    }
                }
                da = t
            }
            if c.wants(1) {
                var t = Tensor(shape: b.shape)
                t.storage.withUnsafeMutableBufferPointer { pt in
                    if tb {  // B is n × k: dB = α·dYᵀ·op(A)
                        BLAS.sgemm(transA: true, transB: ta, m: n, n: k, k: m, alpha: alpha,
                                   a: pg.baseAddress!, lda: max(1, n),
                                   b: pa.baseAddress!, ldb: lda, beta: 0, c: pt.baseAddress!, ldc: max(1, k))
                    } else { // B is k × n: dB = α·op(A)ᵀ·dY
                        BLAS.sgemm(transA: !ta, m: k, n: n, k: m, alpha: alpha, a: pa.baseAddress!, lda: lda,
                                   b: pg.baseAddress!, ldb: max(1, n), beta: 0, c: pt.baseAddress!, ldc: max(1, n))
                    }
                }
                db = t
            }
        } } }
        if c.wants(2), let bias = optional(c.inputs, 2) {
            dc = unbroadcast(beta == 1 ? g : mapValues(g) { $0 * beta }, to: bias.shape)
        }
        return [da, db, dc]
    }

    /// NumPy matmul: dA = dY·Bᵀ and dB = Aᵀ·dY for each item of the broadcast batch, summed back to
    /// each operand's own batch shape; 1-D operands as the forward pass treats them.
    static func matmulBackward(_ c: BackwardContext) throws -> [Tensor?] {
        var a = try c.input(0), b = try c.input(1)
        let aShape = a.shape, bShape = b.shape
        if a.rank == 1 { a = a.reshaped([1, a.shape[0]]) }
        if b.rank == 1 { b = b.reshaped([b.shape[0], 1]) }
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        guard let batch = broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
            throw ModelError.node(c.node, "batch dimensions of \(a.shape) and \(b.shape) do not broadcast")
        }
        let count = batch.reduce(1, *), g = c.gradient().reshaped(batch + [m, n])
        let sa = broadcastStrides(Array(a.shape.dropLast(2)), to: batch),
            sb = broadcastStrides(Array(b.shape.dropLast(2)), to: batch)
        // Gradients at the broadcast batch shape, one product per batch item.
        var da = Tensor(shape: c.wants(0) ? batch + [m, k] : [0]), db = Tensor(shape: c.wants(1) ? batch + [k, n] : [0])
        a.storage.withUnsafeBufferPointer { pa in b.storage.withUnsafeBufferPointer { pb in
            g.storage.withUnsafeBufferPointer { pg in
            da.storage.withUnsafeMutableBufferPointer { pda in db.storage.withUnsafeMutableBufferPointer { pdb in
                for i in 0..<count {
                    var rem = i, oa = 0, ob = 0
                    for d in stride(from: batch.count - 1, through: 0, by: -1) {
                        let idx = rem % batch[d]; rem /= batch[d]
                        oa += idx * sa[d]; ob += idx * sb[d]
                    }
                    let gi = pg.baseAddress! + i * m * n
                    if c.wants(0) {
                        BLAS.sgemm(transB: true, m: m, n: k, k: n, a: gi, lda: max(n, 1),
                                   b: pb.baseAddress! + ob * k * n,
                                   ldb: max(n, 1), beta: 0, c: pda.baseAddress! + i * m * k, ldc: max(k, 1))
                    }
                    if c.wants(1) {
                        BLAS.sgemm(transA: true, m: k, n: n, k: m, a: pa.baseAddress! + oa * m * k,
                                   lda: max(k, 1), b: gi,
                                   ldb: max(n, 1), beta: 0, c: pdb.baseAddress! + i * k * n, ldc: max(n, 1))
                    }
                }
            } }
        } } }
        return [c.wants(0) ? unbroadcast(da, to: a.shape).reshaped(aShape) : nil,
                c.wants(1) ? unbroadcast(db, to: b.shape).reshaped(bShape) : nil]
    }
}
