import Foundation

/// How many rows of an image exist so far, for a producer (a decoder, the
/// filter bands) and consumers (the filter bands, an encoder) on different
/// threads. Consumers block until the rows they need are there, or until the
/// producer fails.
public final class RowProgress: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready = 0
    private var failure: Error?

    public init(ready: Int = 0) { self.ready = ready }

    /// The first `rows` rows are complete.
    public func advance(to rows: Int) {
        condition.lock()
        if rows > ready { ready = rows; condition.broadcast() }
        condition.unlock()
    }

    public func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the first `rows` rows are complete; throws the producer's error.
    public func wait(for rows: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        while ready < rows && failure == nil { condition.wait() }
        if let failure { throw failure }
    }

    public var error: Error? {
        condition.lock(); defer { condition.unlock() }
        return failure
    }
}

/// Completion of bands that finish in any order, published as the number of
/// leading rows that are all complete.
public final class BandCompletion: @unchecked Sendable {
    private let lock = NSLock()
    private var done: [Bool]
    private var prefix = 0
    public let bandRows: Int
    private let height: Int
    public let progress = RowProgress()

    /// Called with the number of leading rows complete, each time it grows.
    private let onPrefix: (Int) -> Void

    public init(height: Int, bandRows: Int, onPrefix: @escaping (Int) -> Void = { _ in }) {
        self.height = height
        self.onPrefix = onPrefix
        self.bandRows = max(1, bandRows)
        done = [Bool](repeating: false, count: (height + self.bandRows - 1) / self.bandRows)
    }

    public func complete(rowsStartingAt firstRow: Int) {
        lock.lock()
        done[firstRow / bandRows] = true
        let before = prefix
        while prefix < done.count && done[prefix] { prefix += 1 }
        let complete = min(height, prefix * bandRows)
        // The last row is held back until `release()`: an encoder must not
        // finish a file before the whole input has proved sound.
        let rows = min(released ? height : height - 1, complete)
        lock.unlock()
        if prefix > before { onPrefix(complete) }
        progress.advance(to: rows)
    }

    /// Lets the last row through once every band is complete.
    public func release() {
        lock.lock()
        released = true
        let all = prefix == done.count
        lock.unlock()
        if all { progress.advance(to: height) }
    }
    private var released = false
}
