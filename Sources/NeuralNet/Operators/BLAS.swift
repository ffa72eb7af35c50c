import Tensors
import COpenBLAS
import Foundation

/// SGEMM on every core, with the threads cnnfilter already has. OpenBLAS is
/// held to one thread: its own pool spins (sched_yield) between calls and
/// takes the cores from the Dispatch workers that run im2col and the other
/// operators, which measured slower than splitting the product here into one
/// block of rows or columns per core, each an ordinary one-thread SGEMM.
enum BLAS {
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// OpenBLAS on one thread; the model runner evaluates this when it is built. (Setting it again
    /// after `stopOpenBLASWorkers` would start OpenBLAS's threads anew.)
    static let singleThreaded: Void = { if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) } }()

    /// C = A · B + beta · C on the calling thread (A m × k, B k × n, row-major), for callers
    /// that share the work out themselves.
    static func sgemmOneThread(transB: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                               b: UnsafePointer<Float>, ldb: Int, beta: Float,
                               c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C = alpha · op(A) · op(B) + beta · C, row-major; op(A) is m × k, op(B) k × n.
    static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = singleThreaded
        guard m > 0, n > 0 else { return }
        if m == 1 {
            // One row (a fully connected layer on one item): a matrix-vector product, which reads B once
            // where SGEMM would first copy it into its packed layout. Columns of C split over the cores.
            let incX = Int32(transA ? lda : 1)
            func gemv(_ j0: Int, _ nj: Int) {
                if transB {  // B is n × k: y[j] = Σ B[j][kk] · a[kk]
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(nj), Int32(k), alpha, b + j0 * ldb, Int32(ldb),
                                a, incX, beta, c + j0, 1)
                } else {     // B is k × n: y[j] = Σ B[kk][j] · a[kk]
                    cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(nj), alpha, b + j0, Int32(ldb),
                                a, incX, beta, c + j0, 1)
                }
            }
            let parts = min(cores, max(1, n * k / (1 << 15)), max(1, n / 16))
            let step = (n + parts - 1) / parts
            if parts == 1 || k == 0 { gemv(0, n); return }
            parallelFor((n + step - 1) / step) { i in gemv(i * step, min(step, n - i * step)) }
            return
        }
        func run(_ i0: Int, _ mi: Int, _ j0: Int, _ nj: Int) {
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(mi), Int32(nj), Int32(k), alpha,
                        a + (transA ? i0 : i0 * lda), Int32(lda), b + (transB ? j0 * ldb : j0), Int32(ldb),
                        beta, c + i0 * ldc + j0, Int32(ldc))
        }
        // Too little work to share: one call (about 64 K multiply-adds per core is the break-even).
        let parts = min(cores, max(1, m * n * max(k, 1) / (1 << 16)))
        if parts == 1 { run(0, m, 0, n); return }
        if n >= m && n >= 16 * parts {
            // Column blocks, whole multiples of 16 floats (the SGEMM kernel's width).
            let step = (n / parts + 15) / 16 * 16
            let blocks = (n + step - 1) / step
            parallelFor(blocks) { i in
                let j0 = i * step
                run(0, m, j0, min(step, n - j0))
            }
        } else {
            let step = (m + parts - 1) / parts
            let blocks = (m + step - 1) / step
            parallelFor(blocks) { i in
                let i0 = i * step
                run(i0, min(step, m - i0), 0, n)
            }
        }
    }
}

/// op(A) · op(B) for row-major matrices, op(A) m × k and op(B) k × n (A itself k × m when `transposingA`,
/// B n × k when `transposingB`), on the cores as `BLAS.sgemm` shares them out; for the libraries above
/// this one (the Fourier images of feature visualisation).
public func matrixProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                          transposingA: Bool = false, transposingB: Bool = false) -> [Float] {
    precondition(a.count == m * k && b.count == k * n,
                 "matrixProduct: \(a.count) and \(b.count) values for \(m)×\(k) · \(k)×\(n)")
    var c = [Float](repeating: 0, count: m * n)
    guard k > 0 else { return c }
    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
        BLAS.sgemm(transA: transposingA, transB: transposingB, m: m, n: n, k: k,
                   a: pa.baseAddress!, lda: transposingA ? m : k, b: pb.baseAddress!, ldb: transposingB ? k : n,
                   beta: 0, c: pc.baseAddress!, ldc: n)
    } } }
    return c
}

/// Holds OpenBLAS to one thread and stops its worker threads: they spin (sched_yield) for a while
/// after the library loads, used or not, and took a core from a model's first runs (one 1×1
/// convolution layer, `cnnfilter bench`, 201 runs: 0.29 ms, 0.13 ms without them). OpenBLAS joins
/// its threads, which would wait forever on work another thread had queued meanwhile: call this
/// before any other thread uses OpenBLAS (the CLI does, first thing).
public func stopOpenBLASWorkers() {
    openblas_set_num_threads(1)
    _ = openblasThreadShutdown()
}

/// OpenBLAS's own (exported, not in cblas.h): joins its worker threads; a later multithreaded
/// call would start them again.
@_silgen_name("blas_thread_shutdown_")
private func openblasThreadShutdown() -> Int32
