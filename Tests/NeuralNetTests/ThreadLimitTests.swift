import Dispatch
import Synchronization
import Testing
import Tensors

/// `ThreadLimit` (Tensors/ThreadLimit.swift): every iteration exactly once, and never more of them at
/// once than the calling thread's budget, nested loops included. The limit itself is process-wide
/// (the CLI's --threads), so these tests hold a budget on their own thread instead.
@Suite struct ThreadLimitTests {
    /// Counts iterations and the most that ran at the same time.
    final class Probe: Sendable {
        let runs: Mutex<[Int]>
        let active = Atomic<Int>(0), most = Atomic<Int>(0)
        init(_ n: Int) { runs = Mutex([Int](repeating: 0, count: n)) }

        func run(_ i: Int) {
            let now = active.add(1, ordering: .relaxed).newValue
            var seen = most.load(ordering: .relaxed)
            while now > seen, !most.compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged {
                seen = most.load(ordering: .relaxed)
            }
            // Long enough that a second thread, if there were one, would overlap.
            let until = DispatchTime.now().uptimeNanoseconds + 200_000
            while DispatchTime.now().uptimeNanoseconds < until {}
            runs.withLock { $0[i] += 1 }
            active.subtract(1, ordering: .relaxed)
        }
    }

    @Test func everyIterationOnceWithinTheBudget() {
        for budget in Set([1, 2, ThreadLimit.cores]) {
            for count in [0, 1, 5, 40] {
                let probe = Probe(count)
                ThreadLimit.withBudget(budget) { ThreadLimit.perform(iterations: count, execute: probe.run) }
                #expect(probe.runs.withLock { $0 } == [Int](repeating: 1, count: count), "budget \(budget), \(count)")
                // Below every core the budget holds; at every core the loop is Dispatch's own.
                if budget < ThreadLimit.cores {
                    #expect(probe.most.load(ordering: .relaxed) <= budget, "budget \(budget), \(count)")
                }
            }
        }
    }

    @Test func nestedLoopsShareTheBudget() {
        // One thread: the outer loop's iterations run one after the other, the inner ones too, and
        // parallelFor inside them as well.
        let probe = Probe(6 * 8)
        ThreadLimit.withBudget(1) {
            ThreadLimit.perform(iterations: 6) { i in
                #expect(ThreadLimit.budget == 1)
                ThreadLimit.perform(iterations: 4) { j in probe.run(i * 8 + j) }
                parallelFor(4) { j in probe.run(i * 8 + 4 + j) }
            }
        }
        #expect(probe.runs.withLock { $0 } == [Int](repeating: 1, count: 48))
        #expect(probe.most.load(ordering: .relaxed) == 1)
    }

    @Test func aBudgetIsTheCallingThreadsOwnAndIsRestored() {
        let before = ThreadLimit.budget
        ThreadLimit.withBudget(1) {
            #expect(ThreadLimit.budget == 1)
            let other = Mutex(0)
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async { other.withLock { $0 = ThreadLimit.budget }; done.signal() }
            done.wait()
            #expect(other.withLock { $0 } == ThreadLimit.count)
        }
        #expect(ThreadLimit.budget == before)
    }
}
