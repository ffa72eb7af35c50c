import ArgumentParser
import Explain
import Foundation
import ImageCodecs
import NeuralNet
import Visualize

extension ExplanationMethod: ExpressibleByArgument {}
extension ExplanationBaseline: ExpressibleByArgument {}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show which pixels made an ONNX model choose a class: Grad-CAM, saliency and friends as a heat map.",
        discussion: """
          cnnfilter explain model.onnx photo.jpg -o why.png                     # Grad-CAM of the top class
          cnnfilter explain model.onnx photo.jpg --method saliency --top 3 -o why.png
          cnnfilter explain model.onnx photo.jpg --method integrated-gradients --steps 64 --npy ig.npy -o ig.png
        The class score is the model's output for the class before any softmax. gradcam weighs a
        layer's maps (--layer; default the last maps before global pooling or the classifier) by the
        score's mean gradient; saliency is the score's gradient with respect to the input pixels
        (the picture shows its largest magnitude over the channels); guided passes back through
        each Relu only positive gradients where its input was positive; smoothgrad averages the
        saliency over noisy copies; integrated-gradients follows the path from a baseline to the input.
        """
    )

    @Argument(help: "An ONNX classifier.") var model: String
    @Argument(help: "A photo (prepared as 'run' prepares it), or a .npy input tensor used as it is.") var image: String
    @Option(name: [.short, .long], help: "The picture (.png).") var output: String
    @Option(help: "The method.") var method: ExplanationMethod = .gradcam
    @Option(name: .customLong("class"), help: "The class to explain, by index or name (default: the top prediction).")
    var target: String?
    @Option(help: "Explain each of the top K classes, side by side.") var top: Int = 1
    @Option(help: "The layer Grad-CAM weighs (a node name as 'info' prints it, or a value name).") var layer: String?
    @Option(help: "Class names, one per line (default: the model's own).") var labels: String?
    @Option(help: "smoothgrad: noisy copies.") var samples: Int = 25
    @Option(help: "smoothgrad: noise standard deviation, as a fraction of the input's range.") var noise: Float = 0.15
    @Option(help: "integrated-gradients: steps along the path.") var steps: Int = 64
    @Option(help: "integrated-gradients: the path's start.") var baseline: ExplanationBaseline = .black
    @Option(help: "Seed for smoothgrad's noise and the noise baseline.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Also write the raw map of the first class as .npy (saliency: the input's shape; "
            + "gradcam: the layer's h×w)."))
    var npy: String?
    @OptionGroup var preparation: InputOptions

    func validate() throws {
        guard (1...100).contains(top) else { throw ValidationError("--top must be between 1 and 100") }
        if let problem = settings.problem() { throw ValidationError(problem) }
    }

    /// The method and its options.
    var settings: ExplanationSettings {
        var s = ExplanationSettings(method: method)
        s.layer = layer; s.samples = samples; s.noise = noise; s.steps = steps; s.baseline = baseline; s.seed = seed
        return s
    }

    func run() throws {
        do {
            var graph = try ONNXLoader.load(path: model)
            guard graph.inputs.count == 1, graph.inputs[0].shape.count >= 3 else {
                throw ModelError("\(model): explain needs one N×C×H×W (or C×H×W) input")
            }
            graph.inputs[0].shape[0] = 1  // one photo
            let prep = try preparation.preparation()
            let x = try prep.tensor(from: image, for: graph.inputs[0])
            let names = try labels.map { try Prediction.labels(file: $0) }
            let explanation = try ClassExplanation(graph: graph, input: x, labels: names, settings: settings,
                                                   model: model)
            let items = try explanation.explain(try classes(explanation.prediction))
            let photo = try ClassExplanation.photo(file: image, input: x, preparation: prep)
            let picture = explanation.picture(items, photo: photo)
            if let npy, let first = items.first { try OutputFile.write(npy, bytes: NPYCodec.encode(first.map)) }
            try ImageWriter.write(picture, format: .png, to: output)
        } catch { fail(error) }
    }

    /// The classes asked for: --class by index or name, else the top K.
    func classes(_ p: Prediction) throws -> [Int] {
        guard let target else { return Array(p.ranking.prefix(top)) }
        if let i = Int(target) {
            guard i >= 0 && i < p.scores.count else {
                throw ModelError("--class \(i) is out of range: "
                                 + "\(model) has \(p.scores.count) classes (0…\(p.scores.count - 1))")
            }
            return [i]
        }
        guard let i = p.names.firstIndex(where: { $0.lowercased() == target.lowercased() }) else {
            throw ModelError("--class '\(target)' is not one of \(model)'s classes: "
                             + "\(p.names.prefix(12).joined(separator: ", "))"
                             + (p.names.count > 12 ? ", …" : ""))
        }
        return [i]
    }
}
