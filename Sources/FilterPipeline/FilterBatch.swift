import Dispatch
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

/// Runs a filter over many targets on all cores, each file at most once.
public struct FilterBatch: Sendable {
    public var runner: FilterRunner
    /// Leaves out targets whose output file exists. Outputs are written to a
    /// temporary file and renamed, so an existing one is complete.
    public var skipExisting = false
    /// Creates the output's directory when missing (--keep-tree).
    public var makeDirectories = false
    /// Called with each failure as it happens ("file: reason"), from any thread (one at a time).
    public var onFailure: @Sendable (String) -> Void = { _ in }
    /// Called after each target (done, total), from any thread (one at a time).
    public var onProgress: @Sendable (Int, Int) -> Void = { _, _ in }
    /// Runs each target (tests replace it); the default runs `runner`.
    public var work: (@Sendable (FilterRunner, OutputTarget) throws -> Void)? = nil

    public init(runner: FilterRunner) { self.runner = runner }

    public func run(_ targets: [OutputTarget]) -> BatchReport {
        let state = Tally(total: targets.count)
        let body: (Int) -> Void = { i in
            let t = targets[i]
            if skipExisting, t.path != "-", Self.isFile(t.path) {
                state.skip(self)
                return
            }
            do {
                if t.input != "-", !FileManager.default.fileExists(atPath: t.input) {
                    throw CodecError(t.input, "no such file")
                }
                if makeDirectories, t.path != "-" {
                    let dir = (t.path as NSString).deletingLastPathComponent
                    if !dir.isEmpty {
                        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
                        catch { throw CodecError(dir, "cannot create the output directory") }
                    }
                }
                if let work { try work(runner, t) } else { try runner.run(t) }
                state.done(self)
            } catch {
                state.fail(t.input, error, self)
            }
        }
        if targets.count == 1 {
            body(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: targets.count, execute: body)
        }
        return state.report
    }

    /// Removes the temporary files a killed run left beside these targets' outputs (`OutputFile.removeLeftovers`).
    public static func removeLeftovers(of targets: [OutputTarget]) -> [String] {
        OutputFile.removeLeftovers(of: targets.map(\.path))
    }

    static func isFile(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
    }

    /// The report under a lock, shared by the workers.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var report = BatchReport()
        private var finished = 0
        let total: Int
        init(total: Int) { self.total = total }

        func skip(_ batch: FilterBatch) { update(batch) { $0.skipped += 1 } }
        func done(_ batch: FilterBatch) { update(batch) { $0.processed += 1 } }
        func fail(_ input: String, _ error: Error, _ batch: FilterBatch) {
            update(batch) { report in
                // Errors that name their file are shown as they are; others get the input's name.
                let text = error is CodecError ? "\(error)" : "\(CodecError(input, "\(error)"))"
                report.failures.append((input, text))
                batch.onFailure(text)
            }
        }

        private func update(_ batch: FilterBatch, _ change: (inout BatchReport) -> Void) {
            lock.lock(); defer { lock.unlock() }
            change(&report)
            finished += 1
            batch.onProgress(finished, total)
        }
    }
}
