import ArgumentParser
import Foundation
import NeuralNet
import Training

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model layer by layer: output shapes, parameters, multiply-adds, receptive fields.",
        discussion: """
        The model runs once on zeros (a symbolic batch size counts as 1) to find
        every layer's output shape. The first column holds the names that
        dump-activations --layers and show-filters --layer take. Parameters are
        the weights and biases of Conv, Gemm, MatMul (and an Add's bias), batch
        normalisation's scale, bias and running statistics (not trainable), and
        PRelu's slope; other initializers (a Sub's mean, a Clip's bounds) are
        constants. Constant, Identity and shape-arithmetic nodes are left out
        unless --all-nodes. An architecture file (as for 'cnnfilter train
        --arch') is built with random weights, given the input and class count:
          cnnfilter info lenet5.onnx
          cnnfilter info net.arch --input 1x28x28 --classes 10
        """
    )

    @Argument(help: "An ONNX model, or an architecture file (.arch, or lenet5) with --input and --classes.")
    var model: String

    @Option(help: "For an architecture file: one sample's shape, CxHxW (1x28x28).")
    var input: String?

    @Option(help: "For an architecture file: the number of classes.")
    var classes: Int?

    @Flag(help: "Also show nodes whose value does not depend on the input (constants, Identity, shape arithmetic).")
    var allNodes = false

    var isArchitecture: Bool {
        model.hasSuffix(".arch") || Architecture.named(model) != nil || input != nil || classes != nil
    }

    func run() throws {
        do {
            let (graph, heading) = try isArchitecture ? architecture() : onnx()
            let layers: [LayerSummary]
            do { layers = try ModelSummary.layers(of: graph) } catch let e as ModelError {
                throw ModelError("\(model): \(e.message)")
            }
            print(ModelSummary.table(heading: heading, layers: layers, allNodes: allNodes), terminator: "")
        } catch { fail(error) }
    }

    func onnx() throws -> (Graph, String) {
        let graph = try ONNXLoader.load(path: model)
        let inputs = graph.inputs.map { "\($0.name) \($0.shape.map { $0.map(String.init) ?? "?" }.joined(separator: "×"))" }
        let heading = "\(model): opset \(graph.opset), \(graph.nodes.count) nodes, "
            + "input \(inputs.joined(separator: ", "))"
        return (graph, heading)
    }

    /// The architecture built as `cnnfilter train` builds it (weights from seed 0), read back as a graph.
    func architecture() throws -> (Graph, String) {
        guard let input, let classes else {
            throw ValidationError("\(model): an architecture needs --input CxHxW and --classes N")
        }
        let words = input.split(whereSeparator: { $0 == "x" || $0 == "×" || $0 == "X" })
        let shape = words.compactMap { Int($0) }
        guard words.count == 3, shape.count == 3, shape.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--input '\(input)': expected CxHxW, three positive numbers (1x28x28)")
        }
        guard classes > 0 else { throw ValidationError("--classes \(classes): expected a positive number") }
        let text: String
        if let named = Architecture.named(model) { text = named } else {
            do { text = try String(contentsOfFile: model, encoding: .utf8) } catch {
                throw TrainingError("\(model): cannot read the architecture file")
            }
        }
        let net = try Architecture.parse(text, source: model)
            .build(input: shape, classes: classes, labels: (0..<classes).map(String.init), seed: 0)
        let bytes = Data(try ONNXWriter.bytes(net.model))
        let (graph, _) = try ONNXLoader.load(bytes: bytes, source: model, directory: ".")
        let heading = "\(model): \(net.names.count) layers, input \(shape.map(String.init).joined(separator: "×")), "
            + "\(classes) classes (random weights)"
        return (graph, heading)
    }
}
