import ArgumentParser
import Foundation
import NeuralNet
import Tensors
import Visualize

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify a photo with an ONNX model: the top classes and their probabilities.",
        discussion: """
          cnnfilter predict model.onnx photo.jpg --labels labels.txt --top 5 --preset imagenet
        Logits are turned into probabilities with a softmax (outputs that are
        already probabilities are shown as they are). labels.txt: one class name per line.
        """
    )

    @Argument(help: "An ONNX classifier.")
    var model: String

    @Argument(help: "A photo, or a .npy input tensor.")
    var photo: String

    @Option(help: ArgumentHelp("Class names, one per line, or imagenet (ImageNet's 1000, torchvision's order; "
            + "default: the model's own, which 'cnnfilter train' stores)."))
    var labels: String?

    @Option(help: "How many classes to show.")
    var top = 5

    @OptionGroup var preparation: InputOptions

    func run() throws {
        do {
            let prep = try preparation.preparation()
            let graph = try ONNXLoader.load(path: model)
            guard graph.inputs.count == 1 else { throw ModelError("\(model): the model takes \(graph.inputs.count) inputs; give it one") }
            let x = try prep.tensor(from: photo, for: graph.inputs[0])
            let out = try ModelRunner(graph).run([graph.inputs[0].name: x])[graph.outputs[0]]!
            let classes = out.rank >= 2 ? out.count / out.shape[0] : out.count
            var scores = Array(out.storage.prefix(classes))
            let sum = scores.reduce(0, +)
            if scores.contains(where: { $0 < 0 }) || abs(sum - 1) > 1e-3 {
                let m = scores.max() ?? 0
                let e = scores.map { Foundation.exp($0 - m) }
                let total = e.reduce(0, +)
                scores = e.map { $0 / total }
            }
            var names: [String] = []
            if let labels {
                names = try Prediction.labels(file: labels)
                guard names.count == classes else { throw ModelError("\(labels): \(names.count) labels for \(classes) classes") }
            } else if let own = graph.labels, own.count == classes {
                names = own // models exported by 'cnnfilter train' carry their class names
            }
            for (rank, i) in scores.indices.sorted(by: { scores[$0] > scores[$1] }).prefix(max(1, top)).enumerated() {
                let name = names.isEmpty ? "" : "  \(names[i])"
                print(String(format: "%d  %6.2f%%  class %d", rank + 1, Double(scores[i]) * 100, i) + name)
            }
        } catch { fail(error) }
    }
}
