// parallelFor (Sources/Tensors/WorkerPool.swift) against DispatchQueue.concurrentPerform and one
// thread, on jobs as short as a forward pass's: 8 iterations of about 4 µs, 2000 jobs in a row.
//
//     swiftc -O -parse-as-library scripts/bench-parallel-for.swift Sources/Tensors/WorkerPool.swift -o /tmp/bench-parallel-for
//     /tmp/bench-parallel-for
import Dispatch
import Foundation

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// About 4 µs of arithmetic the optimizer cannot drop.
@inline(never) func work(_ seed: Int) -> Double {
    var x = Double(seed)
    for k in 0..<4000 { x += Double(k) * 1e-9 }
    return x
}

@main
struct BenchParallelFor {
    static func main() {
        let jobs = 2000, iterations = 8
        var sink = 0.0
        for round in 1...3 {
            var t0 = now()
            for j in 0..<jobs { DispatchQueue.concurrentPerform(iterations: iterations) { i in if work(j + i) < 0 { print("") } } }
            let dispatch = (now() - t0) / Double(jobs) * 1e6
            t0 = now()
            for j in 0..<jobs { parallelFor(iterations) { i in if work(j + i) < 0 { print("") } } }
            let pool = (now() - t0) / Double(jobs) * 1e6
            t0 = now()
            for j in 0..<jobs { for i in 0..<iterations { sink += work(j + i) } }
            let serial = (now() - t0) / Double(jobs) * 1e6
            print(String(format: "round %d: a job of %d iterations: concurrentPerform %.1f µs, parallelFor %.1f µs, one thread %.1f µs",
                         round, iterations, dispatch, pool, serial))
        }
        if sink < 0 { print(sink) }
    }
}
