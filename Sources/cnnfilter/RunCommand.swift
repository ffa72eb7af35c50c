import ArgumentParser
import FilterPipeline
import Foundation
import ImageCodecs
import NeuralNet
import Tensors
import Visualize

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ONNX model on a .npy tensor or a photo and write its first output as .npy.",
        discussion: """
          cnnfilter run model.onnx --input x.npy -o y.npy
          cnnfilter run model.onnx --input photo.jpg --preset imagenet -o y.npy
          cnnfilter run model.onnx --files-from list.txt --preset imagenet -o out/ --keep-tree
        A .npy is used as it is (its shape must match the model's input); a photo
        is resized to the input's size, converted to its channel count and
        normalised with --mean/--std or --preset. Many inputs are run in batches
        (--batch-size), each output to DIR/NAME.npy.
        """
    )

    @Argument(help: "An ONNX model file.")
    var model: String

    @Option(help: "A .npy tensor (float32 or float64), or a photo.")
    var input: String?

    @OptionGroup var batch: BatchOptions

    @OptionGroup var preparation: InputOptions

    @OptionGroup var inference: InferenceOptions

    @Option(name: [.short, .long],
            help: "Where the first output goes (.npy, DIR/ for many inputs, or - for standard output).")
    var output: String

    func run() throws {
        batch.limitThreads()
        let report: BatchReport, selected: Int, listed: Int
        do {
            let all = try batch.inputs(positional: input.map { [$0] } ?? [], done: "run")
            guard !all.isEmpty else { throw SpecError("no input: give --input X.npy or a photo, or --files-from LIST") }
            let targets = try batch.select(try OutputPlan.targets(
                inputs: all, output: output, format: .npy, printText: false,
                stdoutIsTerminal: isatty(STDOUT_FILENO) != 0, keepTree: batch.keepTree))
            let graph = try ONNXLoader.load(path: model)
            let runner = try inference.inference(graph, model: model, preparation: try preparation.preparation(),
                                                 inputs: targets.count)
            batch.removeLeftovers(of: targets)
            let progress = BatchProgressLine(enabled: targets.count > 1)
            let tally = BatchTally(total: targets.count, onFailure: progress.onFailure, onProgress: progress.onProgress)
            runner.writeOutputs(targets, skipExisting: batch.skipExisting, makeDirectories: batch.keepTree,
                                tally: tally)
            progress.finish()
            BatchProfile.shared.report()
            (report, selected, listed) = (tally.report, targets.count, all.count)
        } catch { fail(error) }
        try batch.finish(report, selected: selected, listed: listed)
    }
}
