import ArgumentParser
import Foundation
import NeuralNet
import Visualize

struct DumpActivationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-activations",
        abstract: "Write every channel of every layer of an ONNX model as images.",
        discussion: """
        For each layer: DIR/NAME/NNN.png (one image per channel, at the layer's
        resolution), DIR/NAME.png (a contact sheet with channel indices and a
        colour bar), with --npy DIR/NAME.npy (the raw values); DIR/index.html
        shows them in order. Layer names are those of `cnnfilter info`.
          cnnfilter dump-activations lenet5.onnx digit.png -o acts/
          cnnfilter dump-activations model.onnx --input x.npy -o acts/ --layers c1,c3 --colormap viridis --npy
        """
    )

    @Argument(help: "An ONNX model file.")
    var model: String

    @Argument(help: "A photo (resized and converted to the model's input).")
    var photo: String?

    @Option(help: "A .npy input tensor, used as it is (instead of a photo).")
    var input: String?

    @Option(name: [.short, .long], help: "The output directory (created if missing).")
    var output: String

    @Option(help: "all, or layer names separated by commas.")
    var layers = "all"

    @Flag(help: "Also write each layer's raw output as NAME.npy.")
    var npy = false

    @Option(help: "gray, viridis, inferno, magma or turbo.")
    var colormap = "gray"

    @Option(help: "percentile (each channel from its 1st to 99th percentile), channel (min to max) or layer (one range for all channels).")
    var normalize = "percentile"

    @Option(help: "Per-channel means subtracted from a photo (one value, or one per channel).")
    var mean: String?

    @Option(help: "Per-channel standard deviations a photo is divided by.")
    var std: String?

    @Option(help: "A normalisation preset for photos: imagenet.")
    var preset: String?

    func run() throws {
        guard (photo == nil) != (input == nil) else { fail(ValidationError("give either a photo or --input X.npy")) }
        guard let cmap = Colormap(rawValue: colormap) else { fail(ValidationError("--colormap '\(colormap)': expected gray, viridis, inferno, magma or turbo")) }
        guard let norm = Normalization(rawValue: normalize) else { fail(ValidationError("--normalize '\(normalize)': expected percentile, channel or layer")) }
        var prep = InputPreparation()
        if let preset {
            guard preset == "imagenet" else { fail(ValidationError("--preset '\(preset)': expected imagenet")) }
            prep = .imagenet
        }
        func numbers(_ s: String, _ name: String) -> [Float] {
            let v = s.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            if v.isEmpty { fail(ValidationError("\(name) '\(s)': expected numbers separated by commas")) }
            return v
        }
        if let mean { prep.mean = numbers(mean, "--mean") }
        if let std { prep.std = numbers(std, "--std") }
        if prep.std.contains(0) { fail(ValidationError("--std must not be 0")) }
        do {
            let graph = try ONNXLoader.load(path: model)
            guard graph.inputs.count == 1 else { throw ModelError("\(model): the model takes \(graph.inputs.count) inputs; give it one") }
            let x = try prep.tensor(from: photo ?? input!, for: graph.inputs[0])
            var dump = ActivationDump()
            dump.colormap = cmap
            dump.normalization = norm
            dump.writeNPY = npy
            dump.layers = layers == "all" ? nil : Set(layers.split(separator: ",").map { String($0) })
            dump.progress = { FileHandle.standardError.write(Data("cnnfilter: \($0)\n".utf8)) }
            let written = try dump.run(graph: graph, input: x, into: output)
            FileHandle.standardError.write(Data("cnnfilter: \(written.count) layers in \(output)/ (open \(output)/index.html)\n".utf8))
        } catch { fail(error) }
    }
}
