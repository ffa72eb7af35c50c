import ArgumentParser
import FilterPipeline
import Foundation
import ImageCodecs
import NeuralNet
import Tensors
import Visualize

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify photos with an ONNX model: the top classes and their probabilities.",
        discussion: """
          cnnfilter predict model.onnx photo.jpg --labels labels.txt --top 5 --preset imagenet
          cnnfilter predict model.onnx --files-from list.txt --json -o answers.jsonl
          cnnfilter predict model.onnx --files-from list.txt --shard 2/8 --csv -o part2.csv --skip-existing
        Logits are turned into probabilities with a softmax (outputs that are
        already probabilities are shown as they are). labels.txt: one class name per line.
        Many photos are decoded and prepared on every core and run through the model
        in batches (--batch-size). --json writes one object a line, {"path": …,
        "top": [{"class": …, "name": …, "probability": …}, …]}; --csv one row a photo,
        path,class_1,name_1,probability_1,… (docs/batch.md). -o FILE grows as the
        batches finish: --skip-existing reads it back and adds what is missing.
        """
    )

    @Argument(help: "An ONNX classifier.")
    var model: String

    @Argument(help: "Photos, or .npy input tensors.")
    var photos: [String] = []

    @OptionGroup var batch: BatchOptions

    @Option(help: ArgumentHelp("Class names, one per line, or imagenet (ImageNet's 1000, torchvision's order; "
            + "default: the model's own, which 'cnnfilter train' stores)."))
    var labels: String?

    @Option(help: "How many classes to show.")
    var top = 5

    @Flag(help: "JSON Lines: one object per photo, with its path and top classes.")
    var json = false

    @Flag(help: "CSV: a header, then one row per photo.")
    var csv = false

    @Option(name: [.short, .long], help: "Write the answers to FILE (default: standard output).")
    var output: String?

    @OptionGroup var inference: InferenceOptions

    @OptionGroup var preparation: InputOptions

    func run() throws {
        batch.limitThreads()
        let report: BatchReport, selected: Int, listed: Int
        do {
            guard !(json && csv) else { throw ValidationError("give --json or --csv, not both") }
            guard !batch.keepTree else {
                throw SpecError("--keep-tree: predict writes every answer to one file (-o FILE)")
            }
            let all = try batch.inputs(positional: photos, done: "predicted")
            guard !all.isEmpty else { throw SpecError("no input: give a photo, or --files-from LIST") }
            guard all.count == 1 || !all.contains("-") else {
                throw SpecError("standard input (-) can only be the one photo")
            }
            let mine = try batch.shard(all)
            let out = output ?? "-"
            var lines = PredictionLines(format: json ? .json : csv ? .csv : .text, top: top,
                                        labels: try labels.map { try Prediction.labels(file: $0) }, labelSource: labels)
            lines.bare = lines.format == .text && all.count == 1 && !batch.isBatch
            var answered = Set<String>(), keep: Int? = nil
            if batch.skipExisting {
                guard out != "-" else { throw SpecError("--skip-existing needs -o FILE: it reads the answers back") }
                (answered, keep) = try lines.answered(try existing(out), file: out)
            }
            let graph = try ONNXLoader.load(path: model)
            let runner = try inference.inference(graph, model: model, preparation: try preparation.preparation(),
                                                 inputs: mine.count)
            let toTerminal = out == "-" && isatty(STDOUT_FILENO) != 0
            let progress = BatchProgressLine(enabled: mine.count > 1 && !toTerminal)
            let tally = BatchTally(total: mine.count, onFailure: progress.onFailure, onProgress: progress.onProgress)
            try runner.predict(mine, lines: lines, header: (keep ?? 0) > 0 ? nil : lines.header, skipping: answered,
                               into: LineLog(out, keeping: keep), tally: tally)
            progress.finish()
            BatchProfile.shared.report()
            (report, selected, listed) = (tally.report, mine.count, all.count)
        } catch { fail(error) }
        try batch.finish(report, selected: selected, listed: listed)
    }

    /// An earlier run's answers (none when the file does not exist yet).
    func existing(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CodecError(path, "cannot read the earlier answers (--skip-existing)")
        }
        return [UInt8](data)
    }
}
