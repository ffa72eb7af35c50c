import ArgumentParser
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
        A .npy is used as it is (its shape must match the model's input); a photo
        is resized to the input's size, converted to its channel count and
        normalised with --mean/--std or --preset.
        """
    )

    @Argument(help: "An ONNX model file.")
    var model: String

    @Option(help: "A .npy tensor (float32 or float64), or a photo.")
    var input: String

    @OptionGroup var preparation: InputOptions

    @Option(name: [.short, .long], help: "Where the first output goes (.npy, or - for standard output).")
    var output: String

    func run() throws {
        do {
            let graph = try ONNXLoader.load(path: model)
            guard graph.inputs.count == 1 else { throw ModelError("\(model): the model takes \(graph.inputs.count) inputs; run feeds one") }
            let x = try preparation.preparation().tensor(from: input, for: graph.inputs[0])
            let outputs: [String: Tensor]
            do { outputs = try ModelRunner(graph).run([graph.inputs[0].name: x]) }
            catch let e as ModelError { throw ModelError("\(model): \(e.message)") }
            try OutputFile.write(output, bytes: NPYCodec.encode(outputs[graph.outputs[0]]!))
        } catch { fail(error) }
    }
}
