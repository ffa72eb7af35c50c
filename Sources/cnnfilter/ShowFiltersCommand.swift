import ArgumentParser
import Foundation
import ImageCodecs
import NeuralNet
import Tensors
import Visualize

struct ShowFiltersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show-filters",
        abstract: "Draw a convolution layer's weights as a grid of small images.",
        discussion: """
        RGB filters (3 input channels) are drawn in colour, one tile each, like
        the lecture's picture of AlexNet's first layer; other layers as one grey
        tile per filter and input channel. Each filter is stretched min to max.
          cnnfilter show-filters model.onnx -o filters.png
          cnnfilter show-filters model.onnx --layer conv2 -o conv2.png
        """
    )

    @Argument(help: "An ONNX model file.")
    var model: String

    @Option(help: ArgumentHelp("The convolution layer (default: the first): a name 'cnnfilter info' lists, "
            + "in any case, or its beginning."))
    var layer: String?

    @Option(name: [.short, .long], help: "The PNG to write (- for standard output).")
    var output: String

    func run() throws {
        do {
            let graph = try ONNXLoader.load(path: model)
            let name: String, w: Tensor
            do { (name, w) = try FilterSheet.weights(in: graph, layer: layer) } catch let e as ModelError {
                throw ModelError("\(model): \(e.message)")
            }
            try ImageWriter.write(FilterSheet.render(w), format: .png, to: output)
            let shape = w.shape.map(String.init).joined(separator: "×")
            let target = output == "-" ? "to standard output" : "in \(output)"
            FileHandle.standardError.write(Data("cnnfilter: \(name): \(shape) weights drawn \(target)\n".utf8))
        } catch { fail(error) }
    }
}
