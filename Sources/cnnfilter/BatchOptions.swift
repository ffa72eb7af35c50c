import ArgumentParser
import FilterPipeline
import Foundation
import ImageCodecs
import Tensors

/// Many inputs: a list of files, one shard of it, resuming, and the output tree (docs/batch.md).
struct BatchOptions: ParsableArguments {
    @Option(name: .customLong("files-from"), help: "Read input names from FILE, one a line (- for standard input).")
    var filesFrom: String?

    @Flag(name: [.customShort("0"), .customLong("null")], help: "The list is NUL-separated, as find -print0 writes.")
    var nulSeparated = false

    @Option(help: ArgumentHelp("Process only shard I of N (1-based): a file's shard comes from a hash of its path.",
                               valueName: "I/N"))
    var shard: String?

    @Flag(name: .customLong("skip-existing"), help: "Skip inputs whose output exists (resumes a killed run).")
    var skipExisting = false

    @Flag(name: .customLong("keep-tree"), help: "With -o DIR/, write each output under the input's relative directory.")
    var keepTree = false

    @Option(help: ArgumentHelp("Threads to compute on (default: every core; 1 when GNU parallel already runs a "
                               + "process per core).", valueName: "N"))
    var threads: Int?

    /// A bad --shard fails before any list is read.
    func validate() throws {
        if let shard { _ = try Shard(parsing: shard) }
        if let threads, threads < 1 { throw ValidationError("--threads \(threads): give at least 1") }
    }

    /// Holds the parallel loops to --threads; first thing in a command, before any parallel work.
    func limitThreads() {
        if let threads { ThreadLimit.set(threads) }
    }

    /// The summary is for batch runs (any of these options); a few files named on the
    /// command line report only their failures, one line each, as they always have.
    var isBatch: Bool {
        filesFrom != nil || shard != nil || skipExisting || keepTree
    }

    /// The positional inputs, then the list's, each file once (repeats are reported on stderr, as
    /// "given 2 times; `done` once").
    func inputs(positional: [String], done: String = "filtered") throws -> [String] {
        var all = positional
        if nulSeparated && filesFrom == nil { throw SpecError("-0 reads a NUL-separated list: give --files-from FILE") }
        if let filesFrom {
            if filesFrom == "-" && positional.contains("-") {
                throw SpecError("--files-from - and the input - both read standard input: give the list as a file")
            }
            let listed = try FileList.read(filesFrom, nulSeparated: nulSeparated)
            let shown = filesFrom == "-" ? "<stdin>" : filesFrom
            guard !listed.isEmpty else { throw CodecError(shown, "the list names no files") }
            if listed.contains("-") {
                throw CodecError(shown, "the list names '-': standard input cannot be one of many inputs")
            }
            all += listed
        }
        let unique = BatchInputs.unique(all)
        for (name, times) in unique.repeated {
            note("cnnfilter: \(CodecError(name, "given \(times) times; \(done) once"))")
        }
        return unique.inputs
    }

    /// This process's share of the targets (all of them without --shard).
    func select(_ targets: [OutputTarget]) throws -> [OutputTarget] {
        if skipExisting, targets.contains(where: { $0.path == "-" }) {
            throw SpecError("--skip-existing needs output files: give -o FILE or -o DIR/")
        }
        if let shard, targets.contains(where: { $0.path == "-" }) {
            throw SpecError("--shard \(shard) needs output files: give -o DIR/")
        }
        let mine = Set(try self.shard(targets.map(\.input)))
        return targets.filter { mine.contains($0.input) }
    }

    /// This process's share of the inputs (all of them without --shard).
    func shard(_ inputs: [String]) throws -> [String] {
        guard let shard else { return inputs }
        let s = try Shard(parsing: shard)
        return inputs.filter { s.contains($0) }
    }

    /// Work over targets with --skip-existing and --keep-tree, drawing `progress`.
    func targetBatch(_ progress: BatchProgressLine) -> TargetBatch {
        var job = TargetBatch()
        job.skipExisting = skipExisting
        job.makeDirectories = keepTree
        job.onProgress = progress.onProgress
        job.onFailure = progress.onFailure
        return job
    }

    /// Removes what a killed run left beside the targets' outputs.
    func removeLeftovers(of targets: [OutputTarget]) {
        let removed = TargetBatch.removeLeftovers(of: targets)
        if !removed.isEmpty { note("cnnfilter: removed \(removed.count) temporary files a killed run left") }
    }

    /// The summary (for batch runs), then exit status 1 if any input failed.
    func finish(_ report: BatchReport, selected: Int, listed: Int) throws {
        if isBatch {
            let scope = shard.map { "shard \($0): \(selected) of \(listed) files; " } ?? ""
            note("cnnfilter: \(scope)\(report.summary)\(report.failed > 0 ? ":" : "")")
            for f in report.failures { note("cnnfilter: \(f.error)") }
        }
        if report.failed > 0 { throw ExitCode.failure }
    }
}

/// Progress over files on stderr: a redrawn line on a terminal, otherwise one
/// line per hundred files (logs of Slurm jobs and GNU parallel stay short).
final class BatchProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let live = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    /// For the tests: stop (SIGSTOP) once that many files are done, for a SIGKILL half-way.
    private static let stopAfter = ProcessInfo.processInfo.environment["CNNFILTER_STOP_AFTER"].flatMap(Int.init)

    /// Draws the progress (a batch's onProgress).
    var onProgress: @Sendable (Int, Int) -> Void {
        { done, total in
            self.update(done, total)
            if done == Self.stopAfter { raise(SIGSTOP) }
        }
    }

    /// Prints a failure as it happens (a batch's onFailure).
    var onFailure: @Sendable (String) -> Void { { self.print("cnnfilter: \($0)") } }

    /// Called under the batch's lock, so one at a time.
    func update(_ done: Int, _ total: Int) {
        guard enabled else { return }
        if live {
            guard Date().timeIntervalSince(lastDraw) > 0.2 || done == total else { return }
            lastDraw = Date()
            let width = 24, filled = width * done / max(total, 1)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[Kcnnfilter: [\(bar)] \(done)/\(total) files".utf8))
            drawn = true
        } else if done % 100 == 0 {
            note("cnnfilter: \(done)/\(total) files")
        }
    }

    /// A line for the log, on its own line even while the bar is drawn.
    func print(_ line: String) {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); lastDraw = .distantPast }
        note(line)
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
