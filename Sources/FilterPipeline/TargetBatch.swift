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

    /// Removes what a killed run left beside these targets' outputs, the temporary files
    /// (".NAME.XXXXXX", as OutputFile makes them) and directories being filled (".NAME.tmp-PID",
    /// as a layer dump makes them), and returns their paths. Only this batch's own targets are
    /// looked for, so shards running at the same time never remove each other's work in progress.
    public static func removeLeftovers(of targets: [OutputTarget]) -> [String] {
        var byDir: [String: Set<String>] = [:]
        for t in targets where t.path != "-" {
            let dir = (t.path as NSString).deletingLastPathComponent
            byDir[dir.isEmpty ? "." : dir, default: []].insert((t.path as NSString).lastPathComponent)
        }
        var removed: [String] = []
        for (dir, names) in byDir.sorted(by: { $0.key < $1.key }) {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for entry in entries.sorted() {
                guard let name = leftoverName(entry), names.contains(name) else { continue }
                let path = (dir as NSString).appendingPathComponent(entry)
                if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
            }
        }
        return removed
    }

    /// The output a temporary entry was to become: NAME for ".NAME.XXXXXX" (six letters or digits)
    /// and ".NAME.tmp-PID"; nil for anything else.
    static func leftoverName(_ entry: String) -> String? {
        guard entry.hasPrefix("."), let dot = entry.lastIndex(of: "."), dot > entry.startIndex else { return nil }
        let tail = entry[entry.index(after: dot)...]
        let random = tail.count == 6 && tail.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        let pid = tail.dropFirst(4)
        let process = tail.hasPrefix("tmp-") && !pid.isEmpty && pid.allSatisfy { $0.isASCII && $0.isNumber }
        guard random || process else { return nil }
        let name = entry[entry.index(after: entry.startIndex)..<dot]
        return name.isEmpty ? nil : String(name)
    }
}
