import Dispatch
import Foundation
import ImageCodecs
import Tensors

/// Runs a piece of work (filtering a file, dumping a model's layers) for each of many targets,
/// several at once within `ThreadLimit`, each at most once, and reports what happened to each.
public struct TargetBatch: Sendable {
    /// Leaves out targets whose output is complete (`isDone`).
    public var skipExisting = false
    /// Whether a target's output is complete: by default, its file exists (outputs are written to a
    /// temporary file and renamed, so one that exists is whole).
    public var isDone: @Sendable (OutputTarget) -> Bool = { $0.isWritten }
    /// Creates the output's directory when missing (--keep-tree).
    public var makeDirectories = false
    /// Called with each failure as it happens ("file: reason"), from any thread (one at a time).
    public var onFailure: @Sendable (String) -> Void = { _ in }
    /// Called after each target (done, total), from any thread (one at a time).
    public var onProgress: @Sendable (Int, Int) -> Void = { _, _ in }

    public init() {}

    public func run(_ targets: [OutputTarget], _ work: (OutputTarget) throws -> Void) -> BatchReport {
        let tally = BatchTally(total: targets.count, onFailure: onFailure, onProgress: onProgress)
        func body(_ i: Int) {
            let t = targets[i]
            if skipExisting, isDone(t) {
                tally.skipped()
                return
            }
            do {
                if t.input != "-", !FileManager.default.fileExists(atPath: t.input) {
                    throw CodecError(t.input, "no such file")
                }
                if makeDirectories { try t.createDirectory() }
                try work(t)
                tally.processed()
            } catch {
                tally.failed(t.input, error)
            }
        }
        if targets.count == 1 {
            body(0)
        } else {
            ThreadLimit.perform(iterations: targets.count, execute: body)
        }
        return tally.report
    }

    /// Removes what a killed run left beside these targets' outputs (`OutputFile.removeLeftovers`).
    public static func removeLeftovers(of targets: [OutputTarget]) -> [String] {
        OutputFile.removeLeftovers(of: targets.map(\.path))
    }
}
