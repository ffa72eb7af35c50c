import COpenBLAS
import Dispatch
import Foundation

/// Training splits each operator's work across the cores itself (the runtime's
/// products split by `BLAS.sgemm`), so OpenBLAS's own threads would only compete and spin: run
/// `body` with OpenBLAS on one thread, then restore its setting.
func withSingleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
    // Only when it changes anything: setting it starts OpenBLAS's threads anew after
    // `stopOpenBLASWorkers` (the CLI's start-up), and they would spin.
    let previous = openblas_get_num_threads()
    guard previous != 1 else { return try body() }
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(previous) }
    return try body()
}

/// Runs `body` over `0..<count` split into one contiguous range per core:
/// one dispatch per core instead of one per item, which matters when items
/// are small (a 14×14 plane costs less than dispatching it).
func parallelRanges(_ count: Int, _ body: (Range<Int>) -> Void) {
    let parts = min(count, ProcessInfo.processInfo.activeProcessorCount)
    guard parts > 1 else { if count > 0 { body(0..<count) }; return }
    DispatchQueue.concurrentPerform(iterations: parts) { part in
        body((part * count / parts)..<((part + 1) * count / parts))
    }
}
