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
        the lecture's picture of AlexNet's first layer, and filters of one input
        channel as one grey tile each, labelled with the filter's index; other
        layers as a row per filter and a column per input channel (at most 32),
        labelled with their indices. Weights are grey, 0 mid-grey, negative
        darker, positive lighter, on one scale for the layer (--scale filter: each
        filter on its own); the colour bar gives the values.
          cnnfilter show-filters model.onnx -o filters.png
          cnnfilter show-filters model.onnx --layer conv2 --scale filter -o conv2.png
        """
    )

    @Argument(help: "An ONNX model file.")
    var model: String

    @Option(help: ArgumentHelp("The convolution layer (default: the first): a name 'cnnfilter info' lists, "
            + "in any case, or its beginning."))
    var layer: String?

    @Option(help: "layer: one scale for all filters (they compare); filter: each on its own (weak ones show).")
    var scale: FilterScale = .layer

    @Option(name: [.short, .long], help: "The PNG to write (- for standard output).")
    var output: String

    func run() throws {
        do {
            let graph = try ONNXLoader.load(path: model)
            let name: String, w: Tensor
            do { (name, w) = try FilterSheet.weights(in: graph, layer: layer) } catch let e as ModelError {
                throw ModelError("\(model): \(e.message)")
            }
            try ImageWriter.write(FilterSheet.render(w, name: name, scale: scale), format: .png, to: output)
            let shape = w.shape.map(String.init).joined(separator: "×")
            let target = output == "-" ? "to standard output" : "in \(output)"
            FileHandle.standardError.write(Data("cnnfilter: \(name): \(shape) weights drawn \(target)\n".utf8))
        } catch { fail(error) }
    }
}

extension FilterScale: ExpressibleByArgument {}
