import ArgumentParser
import Foundation
import NeuralNet

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show an ONNX model layer by layer: output shapes, parameters, multiply-adds.",
        discussion: """
        The model runs once on zeros (a symbolic batch size counts as 1) to find
        every layer's output shape. Layer names are the ones dump-activations uses.
          cnnfilter info lenet5.onnx
        """
    )

    @Argument(help: "An ONNX model file.")
    var model: String

    func run() throws {
        let graph: Graph, layers: [LayerSummary]
        do {
            graph = try ONNXLoader.load(path: model)
            do { layers = try ModelSummary.layers(of: graph) } catch let e as ModelError { throw ModelError("\(model): \(e.message)") }
        } catch { fail(error) }
        let inputs = graph.inputs.map { "\($0.name) \($0.shape.map { $0.map(String.init) ?? "?" }.joined(separator: "×"))" }
        print("\(model): opset \(graph.opset), \(graph.nodes.count) nodes, input \(inputs.joined(separator: ", "))")
        let nameWidth = max(5, layers.map(\.name.count).max() ?? 0), opWidth = max(8, layers.map(\.opType.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        func group(_ v: Int) -> String {
            let f = NumberFormatter(); f.numberStyle = .decimal; f.groupingSeparator = ","
            return f.string(from: NSNumber(value: v)) ?? "\(v)"
        }
        print("\(pad("layer", nameWidth))  \(pad("operator", opWidth))  \(pad("output", 16))  \(pad("parameters", 12))  "
              + "\(pad("multiply-adds", 14))  receptive field")
        for l in layers {
            print("\(pad(l.name, nameWidth))  \(pad(l.opType, opWidth))  \(pad(l.outputShape.map(String.init).joined(separator: "×"), 16))  "
                  + "\(pad(group(l.parameters), 12))  \(pad(group(l.multiplyAdds), 14))  \(l.receptiveField.map(String.init) ?? "all")")
        }
        print("total: \(group(layers.map(\.parameters).reduce(0, +))) parameters, \(group(layers.map(\.multiplyAdds).reduce(0, +))) multiply-adds")
    }
}
