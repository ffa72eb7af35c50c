import Foundation
import ImageCodecs

/// What happened to each input of a batch.
public struct BatchReport: Sendable {
    public var processed = 0
    /// Inputs whose output already existed (--skip-existing).
    public var skipped = 0
    /// Each failed input with its error, in the order they failed.
    public var failures: [(input: String, error: String)] = []
    public var failed: Int { failures.count }
    public init() {}

    /// "12 processed, 3 skipped (output exists), 1 failed".
    public var summary: String {
        "\(processed) processed, \(skipped) skipped (output exists), \(failed) failed"
    }
}

/// A batch's report under a lock, shared by the threads working on it. Each input counts once;
/// every change calls `onProgress(done, total)`, a failure first `onFailure("file: reason")`, one
/// call at a time.
public final class BatchTally: @unchecked Sendable {
    private let lock = NSLock()
    private var current = BatchReport()
    private var finished = 0
    public let total: Int
    private let onFailure: @Sendable (String) -> Void
    private let onProgress: @Sendable (Int, Int) -> Void

    public init(total: Int, onFailure: @escaping @Sendable (String) -> Void = { _ in },
                onProgress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) {
        self.total = total
        self.onFailure = onFailure
        self.onProgress = onProgress
    }

    public var report: BatchReport { lock.withLock { current } }

    public func skipped() { update { $0.skipped += 1 } }
    public func processed() { update { $0.processed += 1 } }
    public func failed(_ input: String, _ error: Error) {
        update { report in
            // Errors that name their file are shown as they are; others get the input's name.
            let text = error is CodecError ? "\(error)" : "\(CodecError(input, "\(error)"))"
            report.failures.append((input, text))
            onFailure(text)
        }
    }

    private func update(_ change: (inout BatchReport) -> Void) {
        lock.lock(); defer { lock.unlock() }
        change(&current)
        finished += 1
        onProgress(finished, total)
    }
}
