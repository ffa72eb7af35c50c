import ArgumentParser
import Explain
import Foundation
import NeuralNet
import Visualize

struct VisualizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "visualize",
        abstract: "Draw what channels of a layer look for: pictures optimised to excite them (lucid's method).",
        discussion: """
          cnnfilter visualize models/lenet5-fashion.onnx --layer C3 -o features/
          cnnfilter visualize model.onnx --layer layer3 --channels 0-7 --steps 256 -o features/ --preset imagenet
          cnnfilter visualize models/lenet5-fashion.onnx --class sandal,sneaker -o classes/
        Each picture starts as faint noise in the Fourier domain (and, for colour models, in
        decorrelated colours) and climbs the gradient of the channel's mean activation (--neuron:
        the centre position; --class: a class logit) with Adam, jittered, scaled and rotated at
        random at every step. DIR/NAME.png shows them all with the activation each reaches;
        DIR/NAME/NNN.png is each channel's picture at the model's input size. --mean/--std/--preset
        say how a [0, 1] picture becomes the model's input, as for photos in 'run'.
        """
    )

    @Argument(help: "An ONNX model with one N×C×H×W input.") var model: String
    @Option(help: "The layer (a node name as 'info' prints it, or a value name).") var layer: String?
    @Option(help: "The channels: a list such as 0-15 or 0,3,7 (default: the first 16).") var channels: String?
    @Flag(help: "Raise the channel at its centre position instead of its mean.") var neuron = false
    @Option(name: .customLong("class"), help: ArgumentHelp("Class logits to raise instead of a layer: indices, "
            + "ranges or class names separated by commas."))
    var classes: String?
    @Option(help: "Class names, one per line (default: the model's own).") var labels: String?
    @Option(help: "Optimisation steps per picture.") var steps = 512
    @Option(help: "The pictures' height and width (default: the model's input size, or 224).") var size: Int?
    @Option(help: "Adam's learning rate.") var rate: Float = 0.05
    @Option(help: "Seed of the random start and the transforms.") var seed: UInt64 = 1
    @Option(name: [.short, .long], help: "The output directory (created if missing).") var output: String
    @OptionGroup var preparation: InputOptions

    func validate() throws {
        guard (1...100_000).contains(steps) else { throw ValidationError("--steps must be between 1 and 100000") }
        if let size, !(8...1024).contains(size) { throw ValidationError("--size must be between 8 and 1024") }
        guard rate > 0 && rate.isFinite else { throw ValidationError("--rate must be above 0") }
        guard (layer == nil) != (classes == nil) else { throw ValidationError("give --layer or --class (one of them)") }
        if classes != nil && (channels != nil || neuron) {
            throw ValidationError("--class picks output channels itself; --channels and --neuron go with --layer")
        }
    }

    func run() throws {
        do {
            let graph = try ONNXLoader.load(path: model)
            let prep = try preparation.preparation()
            let visualizer: FeatureVisualizer
            do { visualizer = try FeatureVisualizer(graph, layer: layer, size: size.map { ($0, $0) }) }
            catch let e as ModelError { throw ModelError("\(model): \(e.message)") }
            visualizer.mean = prep.mean; visualizer.std = prep.std
            let names = try labels.map { try Prediction.labels(file: $0) } ?? Prediction.labels(of: graph)
            let picked = try classes.map { try classIndices($0, names: names, count: visualizer.channels) }
                ?? channels.map { try ChannelList.parse($0) } ?? Array(0..<min(16, visualizer.channels))
            if let message = visualizer.outOfRange(picked) {
                let option = classes != nil ? "--class" : "--channels"
                throw ModelError("\(option) \(classes ?? channels ?? ""): \(message)")
            }
            let objectives = picked.map { neuron ? FeatureObjective.neuron($0) : .channel($0) }
            let line = ProgressLine(), start = Date()
            let what = classes != nil ? "class logit" : neuron ? "centre neuron" : "channel mean"
            let pictures = try visualizer.render(objectives, steps: steps, seed: seed, rate: rate, progress: {
                n, step, value in
                line.draw("channel \(picked[n]) (\(n + 1)/\(picked.count)): step \(step)/\(steps), "
                          + String(format: "activation %.4g", value))
            }, finished: { n, picture in
                line.finish(String(format: "cnnfilter: %@ channel %d: %@ %.4g after %d steps", visualizer.layerName,
                                   picked[n], what, picture.objective, steps))
            })
            let tiles = FeatureSheet.tiles(pictures, names: picked.map {
                classes != nil ? names?[safe: $0] ?? String($0) : String($0)
            })
            let caption = FeatureSheet.caption(layer: visualizer.layerName, objective: what, steps: steps, model: model)
            let files = try FeatureSheet.write(tiles, numbers: picked, name: visualizer.layerName, caption: caption,
                                               into: output)
            note(String(format: "cnnfilter: %d pictures of %@ in %@/ (%@, %@/…), %.1f s", pictures.count,
                        visualizer.layerName, output, files[0], visualizer.layerName, Date().timeIntervalSince(start)))
        } catch { fail(error) }
    }

    /// --class: indices, ranges and names (any case) of the model's classes.
    func classIndices(_ text: String, names: [String]?, count: Int) throws -> [Int] {
        try text.split(separator: ",").flatMap { word -> [Int] in
            let item = word.trimmingCharacters(in: .whitespaces)
            if let i = names?.firstIndex(where: { $0.lowercased() == item.lowercased() }) { return [i] }
            if let list = try? ChannelList.parse(item) { return list }
            let known = names.map { ": " + $0.prefix(12).joined(separator: ", ") + ($0.count > 12 ? ", …" : "") }
            throw ModelError("--class '\(item)' is not one of \(model)'s \(count) classes"
                             + (known ?? " (0…\(count - 1))"))
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
