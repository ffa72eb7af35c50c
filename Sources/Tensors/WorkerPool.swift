import Dispatch
import Foundation
import Synchronization

/// Runs `body(i)` for every i in 0..<count on all cores and returns when all are done, like
/// `DispatchQueue.concurrentPerform`, but on workers that stay awake (spinning) for a moment
/// between jobs. A model's forward pass hands the cores a hundred small jobs in a row (a
/// MobileNet layer on 7×7 planes is tens of microseconds); Dispatch's workers go to sleep between
/// them, and waking one took longer than such a job (measured: 8 × 3.8 µs of work took 22–33 µs
/// with `concurrentPerform`, 17 µs here, 31 µs on one thread). When the pool is busy (a job from
/// another thread, or a nested call from inside a job) the job runs on Dispatch instead. The pool
/// has `ThreadLimit.count` threads (the caller and its workers); under a limit, a call from a thread
/// holding only a share of it (or from inside a pool job) stays within that share.
public func parallelFor(_ count: Int, _ body: @escaping (Int) -> Void) {
    guard count > 1 else { if count == 1 { body(0) }; return }
    if ThreadLimit.budget < ThreadLimit.count {
        ThreadLimit.perform(iterations: count, execute: body)
        return
    }
    if !WorkerPool.shared.run(count, body) { ThreadLimit.perform(iterations: count, execute: body) }
}

// `body` escapes because a worker may still hold the finished job (never calling it again) when
// parallelFor has returned.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: ThreadLimit.count - 1)

    /// How long an idle worker spins before it sleeps on `wake` (a forward pass's jobs come
    /// microseconds apart; an idle program should not keep a core busy for long).
    private static let spinNanoseconds: UInt64 = 200_000

    /// One call's iterations. Its own counters, so that a worker still holding the previous
    /// job only finds it exhausted.
    private final class Job: @unchecked Sendable {
        let count: Int
        let body: (Int) -> Void
        let next = Atomic<Int>(0), finished = Atomic<Int>(0)
        init(_ count: Int, _ body: @escaping (Int) -> Void) { self.count = count; self.body = body }

        /// Claims and runs iterations until none is left.
        func claim() {
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                guard i < count else { return }
                body(i)
                finished.add(1, ordering: .releasing)
            }
        }
    }

    private let workers: Int
    /// Bumped for each job: what idle workers watch.
    private let generation = Atomic<Int>(0)
    /// The current job; nil when the pool is free.
    private let current = Mutex<Job?>(nil)
    private let wake = NSCondition()
    private var sleeping = 0

    private init(workers: Int) {
        self.workers = max(0, workers)
        for _ in 0..<self.workers {
            let thread = Thread { [unowned self] in self.serve() }
            thread.name = "cnnfilter worker"
            thread.start()
        }
    }

    /// Runs the job on the pool and returns true, or returns false at once when the pool is busy.
    func run(_ count: Int, _ body: @escaping (Int) -> Void) -> Bool {
        guard workers > 0 else { for i in 0..<count { body(i) }; return true }
        let job = Job(count, body)
        guard current.withLock({ slot in
            if slot != nil { return false }
            slot = job
            return true
        }) else { return false }
        wake.lock()
        generation.add(1, ordering: .releasing)
        if sleeping > 0 { wake.broadcast() }
        wake.unlock()
        // Under a limit the pool's threads are all of it: a nested loop runs on the thread it is on.
        if ThreadLimit.isLimited { ThreadLimit.withBudget(1) { job.claim() } } else { job.claim() }
        while job.finished.load(ordering: .acquiring) < count {}
        current.withLock { $0 = nil }
        return true
    }

    private func serve() {
        if ThreadLimit.isLimited { ThreadLimit.withBudget(1) { serveJobs() } } else { serveJobs() }
    }

    private func serveJobs() {
        var seen = 0
        while true {
            var spins = 0, since = DispatchTime.now().uptimeNanoseconds
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                guard spins % 1024 == 0 else { continue }
                if DispatchTime.now().uptimeNanoseconds - since < Self.spinNanoseconds { continue }
                wake.lock()
                sleeping += 1
                while generation.load(ordering: .acquiring) == seen { wake.wait() }
                sleeping -= 1
                wake.unlock()
                since = DispatchTime.now().uptimeNanoseconds
            }
            seen = generation.load(ordering: .acquiring)
            current.withLock { $0 }?.claim()
        }
    }
}
