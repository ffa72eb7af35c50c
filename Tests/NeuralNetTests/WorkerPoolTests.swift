import Dispatch
import Synchronization
import Testing
import Tensors

/// `parallelFor` (Tensors/WorkerPool.swift): every iteration exactly once, however it is called.
@Suite struct WorkerPoolTests {
    /// How often each index ran, safe to count from any thread.
    final class Counts: Sendable {
        let counts: Mutex<[Int]>
        init(_ n: Int) { counts = Mutex([Int](repeating: 0, count: n)) }
        func add(_ i: Int) { counts.withLock { $0[i] += 1 } }
        var values: [Int] { counts.withLock { $0 } }
    }

    /// Runs parallelFor(count) and returns how often each index ran.
    static func tally(_ count: Int) -> [Int] {
        let runs = Counts(count)
        parallelFor(count) { i in runs.add(i) }
        return runs.values
    }

    @Test func everyIterationOnceForAnyCount() {
        for count in [0, 1, 2, 3, 7, 64, 1000] {
            #expect(Self.tally(count) == [Int](repeating: 1, count: count), "count \(count)")
        }
    }

    @Test func jobsBackToBackSeeTheirOwnIterations() {
        // Many short jobs in a row, as in a forward pass: a worker still holding the last job
        // must not run iterations of the next one.
        for round in 0..<2000 {
            let count = 2 + round % 9
            let sum = Atomic<Int>(0)
            parallelFor(count) { i in sum.add(i + 1, ordering: .relaxed) }
            #expect(sum.load(ordering: .relaxed) == count * (count + 1) / 2, "round \(round)")
        }
    }

    @Test func nestedCallsAndConcurrentCallers() {
        // Calls from inside a job, and from several threads at once, find the pool busy and run on
        // Dispatch instead: still every iteration once.
        let runs = Counts(8 * 50)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            parallelFor(2) { outer in
                parallelFor(50) { inner in runs.add((caller * 2 + outer) * 50 + inner) }
            }
        }
        #expect(runs.values == [Int](repeating: 1, count: 8 * 50))
    }
}
