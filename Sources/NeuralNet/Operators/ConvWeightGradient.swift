import Tensors

extension GEMMConv {
    /// A convolution's weight gradient, dW_g = Σ dY_g · patchesᵀ over every batch item, in blocks of patches
    /// small enough (about 512 KB) to stay in a core's cache between the unrolling and the product: each core
    /// takes a run of blocks, multiplies them into its own copy of dW, and the copies are added at the end.
    /// A block is part of one item's output pixels, or several whole items when their planes are small
    /// (LeNet's 1×1 C5). Unrolling 16 MB of patches at a time and splitting one product over the cores
    /// left SGEMM waiting on memory: `cnnfilter train --profile` on models/fashion-bn.arch, conv2 backward
    /// (docs/performance.md).
    static func weightGradient(_ x: Tensor, _ dy: Tensor, into dw: UnsafeMutablePointer<Float>, group: Int,
                               filters m: Int, geometry: Geometry) {
        let n = x.shape[0], ch = x.shape[1], cg = ch / group, mg = m / group
        let g0 = geometry, k = cg * g0.kh * g0.kw, pixels = g0.oh * g0.ow, plane = g0.h * g0.w
        let widest = max(64, (1 << 17) / max(k, 1))
        let perItem = (pixels + widest - 1) / widest, span = (pixels + perItem - 1) / perItem
        let itemsPerBlock = perItem > 1 ? 1 : max(1, min(n, widest / max(pixels, 1)))
        let blocks = perItem > 1 ? n * perItem : (n + itemsPerBlock - 1) / itemsPerBlock
        let tasks = blocks * group, parts = min(BLAS.cores, tasks), size = group * mg * k
        let width = itemsPerBlock * min(span, pixels)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: parts * size)
        partial.initialize(repeating: 0, count: parts * size)
        defer { partial.deallocate() }
        x.storage.withUnsafeBufferPointer { xs in dy.storage.withUnsafeBufferPointer { gs in
            let xb = xs.baseAddress!, gb = gs.baseAddress!
            parallelFor(parts) { part in
                let patches = UnsafeMutablePointer<Float>.allocate(capacity: k * width)
                let grads = UnsafeMutablePointer<Float>.allocate(capacity: mg * width)
                defer { patches.deallocate(); grads.deallocate() }
                for t in (tasks * part / parts)..<(tasks * (part + 1) / parts) {
                    let g = t % group, b = t / group
                    let items = perItem > 1 ? (b / perItem)..<(b / perItem + 1)
                                            : (b * itemsPerBlock)..<min(n, (b + 1) * itemsPerBlock)
                    let p0 = perItem > 1 ? (b % perItem) * span : 0, p1 = min(pixels, p0 + span)
                    let len = p1 - p0, cols = items.count * len
                    for (j, item) in items.enumerated() {
                        let base = xb + (item * ch + g * cg) * plane
                        for r in 0..<k { g0.unroll(base, row: r, pixels: p0..<p1, into: patches + r * cols + j * len) }
                        for f in 0..<mg {
                            (grads + f * cols + j * len).update(from: gb + (item * m + g * mg + f) * pixels + p0,
                                                                count: len)
                        }
                    }
                    BLAS.sgemmOneThread(transB: true, m: mg, n: k, k: cols, a: grads, lda: cols, b: patches, ldb: cols,
                                        beta: 1, c: partial + part * size + g * mg * k, ldc: k)
                }
            }
        } }
        dw.update(from: partial, count: size)
        for part in 1..<max(parts, 1) { for i in 0..<size { dw[i] += partial[part * size + i] } }
    }
}
