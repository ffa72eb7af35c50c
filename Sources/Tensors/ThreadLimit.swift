import Dispatch
import Foundation
import Synchronization

/// How many threads cnnfilter's parallel loops use at once: every core unless `set` lowers it (the CLI's
/// `--threads N`, for one process per core under GNU parallel, or a share of a shared node).
///
/// Loops inside loops share the limit rather than multiply it: each thread carries a budget (the
/// limit on the thread that starts the work), and a loop of width w hands each of its threads an
/// equal part of its own budget, so with `--threads 2` two files filtered at once filter their bands
/// on one thread each. With the default (every core) nothing is limited and the loops are
/// Dispatch's and `parallelFor`'s as they always were.
public enum ThreadLimit {
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    private static let limit = Atomic<Int>(0)

    /// The limit; `cores` until `set`.
    public static var count: Int {
        let n = limit.load(ordering: .relaxed)
        return n > 0 ? n : cores
    }

    /// Whether fewer threads than cores may work at once.
    public static var isLimited: Bool { count < cores }

    /// Sets the limit (at least 1; more than `cores` is `cores`). Call it before any parallel work:
    /// `parallelFor`'s workers are started once, at its first use.
    public static func set(_ threads: Int) {
        limit.store(min(max(1, threads), cores), ordering: .relaxed)
    }

    /// The threads the calling thread may keep busy: its share of an enclosing loop, else the limit.
    public static var budget: Int {
        let held = Int(bitPattern: pthread_getspecific(budgetKey))
        return held > 0 ? held : count
    }

    /// Runs `body` with the calling thread's budget set to `threads`, then restores it.
    public static func withBudget<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let saved = pthread_getspecific(budgetKey)
        pthread_setspecific(budgetKey, UnsafeRawPointer(bitPattern: max(1, threads)))
        defer { pthread_setspecific(budgetKey, saved) }
        return try body()
    }

    /// `DispatchQueue.concurrentPerform` within the calling thread's budget: at most `budget` of the
    /// iterations run at once, each running thread claiming the next one; nested loops get a share.
    public static func perform(iterations count: Int, execute body: (Int) -> Void) {
        guard count > 0 else { return }
        let threads = budget
        guard threads < cores else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
            return
        }
        let width = min(count, threads)
        guard width > 1 else {
            withBudget(threads) { for i in 0..<count { body(i) } }
            return
        }
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: width) { part in
            // The budget's remainder goes to the first threads: 3 over 2 loops is 2 + 1.
            withBudget(threads / width + (part < threads % width ? 1 : 0)) {
                while true {
                    let i = next.value.add(1, ordering: .relaxed).oldValue
                    guard i < count else { return }
                    body(i)
                }
            }
        }
    }

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Each thread's budget (0, unset, reads as the limit).
    private static let budgetKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}
