import Foundation
import ImageCodecs
import NeuralNet
import Testing
import Tensors

/// Each operator (and two small networks) against onnxruntime's outputs,
/// committed by scripts/make-onnx-fixtures.py.
struct OnnxCase: Decodable, CustomTestStringConvertible, Sendable {
    let name: String, model: String, inputs: [String], output: String, opset: Int
    let shapes: [String: [Int]]?
    var testDescription: String { name }

    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/onnx")
    static let all: [OnnxCase] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode([OnnxCase].self, from: data)
    }()

    func npy(_ file: String) throws -> Tensor {
        try NPYCodec.decode([UInt8](try Data(contentsOf: Self.dir.appendingPathComponent(file))), path: file, imageShape: false)
    }
    var isNetwork: Bool { name == "lenet5" || name == "small_cnn" }
}

@Suite struct OperatorFixtureTests {
    @Test(arguments: OnnxCase.all)
    func matchesOnnxruntime(_ c: OnnxCase) throws {
        let graph = try ONNXLoader.load(path: OnnxCase.dir.appendingPathComponent(c.model).path)
        var feeds: [String: Tensor] = [:]
        for (info, file) in zip(graph.inputs, c.inputs) { feeds[info.name] = try c.npy(file) }
        #expect(feeds.count == graph.inputs.count, "inputs \(graph.inputs.map(\.name)) for files \(c.inputs)")
        let want = try c.npy(c.output)
        // Both ways of running convolutions with many filters, whichever the build prefers.
        for path in ConvOps.Path.allCases {
            let out = try ModelRunner(graph, convolutions: path).run(feeds)[graph.outputs[0]]!
            #expect(out.shape == want.shape, "\(path)")
            guard out.shape == want.shape else { return }
            // Largest error relative to the largest expected magnitude.
            let scale = max(want.storage.map(abs).max() ?? 0, 1e-6)
            let error = out.maxAbsDifference(want) / scale
            #expect(error <= (c.isNetwork ? 1e-3 : 1e-4), "relative error \(error) (\(path))")
        }
    }

    @Test func everyListedOperatorIsCovered() {
        let ops = Set(OnnxCase.all.map(\.name))
        #expect(ops.count >= 55)
    }

    /// The lecture notes' LeNet-5 (E7): shapes layer by layer, 61,706 parameters.
    @Test func lenet5ShapesAndParameters() throws {
        let c = OnnxCase.all.first { $0.name == "lenet5" }!
        let graph = try ONNXLoader.load(path: OnnxCase.dir.appendingPathComponent(c.model).path)
        let layers = try ModelSummary.layers(of: graph)
        let byName = Dictionary(layers.map { ($0.name, $0.outputShape) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["c1"] == [1, 6, 28, 28] && byName["s2"] == [1, 6, 14, 14])
        #expect(byName["c3"] == [1, 16, 10, 10] && byName["s4"] == [1, 16, 5, 5] && byName["c5"] == [1, 120, 1, 1])
        #expect(byName["f6"] == [1, 84])
        #expect(layers.map(\.parameters).reduce(0, +) == 61706)
        // Receptive fields: C1 5, S2 6, C3 6 + 4·2 = 14, S4 16, C5 16 + 4·4 = 32 (the whole input).
        let fields = Dictionary(layers.map { ($0.name, $0.receptiveField) }, uniquingKeysWith: { a, _ in a })
        #expect(fields["c1"] == 5 && fields["s2"] == 6 && fields["c3"] == 14 && fields["s4"] == 16 && fields["c5"] == 32)
        #expect(fields["f6"] == .some(nil))
        // C1: 28·28·6 outputs, each 5·5·1 multiply-adds.
        #expect(layers.first { $0.name == "c1" }?.multiplyAdds == 28 * 28 * 6 * 25)
    }

    /// An initializer shared by several nodes, directly or through Identity copies (as
    /// PyTorch's exporter shares ResNet-18's equal folded biases), is one set of parameters.
    @Test func sharedInitializersCountOnce() throws {
        let g = Graph(nodes: [Node(name: "copy1", opType: "Identity", inputs: ["b"], outputs: ["b1"]),
                              Node(name: "copy2", opType: "Identity", inputs: ["b"], outputs: ["b2"]),
                              Node(name: "add1", opType: "Add", inputs: ["x", "b1"], outputs: ["y1"]),
                              Node(name: "add2", opType: "Add", inputs: ["y1", "b2"], outputs: ["y2"]),
                              Node(name: "add3", opType: "Add", inputs: ["y2", "b"], outputs: ["y3"]),
                              Node(name: "add4", opType: "Add", inputs: ["y3", "c"], outputs: ["y"])],
                      initializers: ["b": Tensor(shape: [3], repeating: 1), "c": Tensor(shape: [3], repeating: 2)],
                      inputs: [ValueInfo(name: "x", shape: [2, 3])], outputs: ["y"], opset: 13)
        let layers = try ModelSummary.layers(of: g)
        let params = Dictionary(layers.map { ($0.name, $0.parameters) }, uniquingKeysWith: { a, _ in a })
        #expect(params == ["copy1": 0, "copy2": 0, "add1": 3, "add2": 0, "add3": 0, "add4": 3])
    }
}

@Suite struct BadModelTests {
    func write(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString.prefix(6)).onnx").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func truncatedAndRandomFilesAreRefused() throws {
        let good = [UInt8](try Data(contentsOf: OnnxCase.dir.appendingPathComponent("lenet5.onnx")))
        for bytes in [Array(good.prefix(good.count / 2)), [UInt8](repeating: 0xFF, count: 300), []] {
            let path = try write(bytes)
            #expect(throws: ModelError.self) { try ModelRunner(try ONNXLoader.load(path: path)) }
        }
    }

    @Test func unknownOperatorsAndCyclesAreNamed() throws {
        let g = Graph(nodes: [Node(name: "weird", opType: "FancyOp", inputs: ["x"], outputs: ["y"])],
                      initializers: [:], inputs: [ValueInfo(name: "x", shape: [1])], outputs: ["y"], opset: 13)
        do { _ = try ModelRunner(g); Issue.record("accepted") } catch {
            #expect("\(error)" == "unsupported operator FancyOp in node 'weird' (opset 13)")
        }
        let cycle = Graph(nodes: [Node(name: "a", opType: "Relu", inputs: ["b"], outputs: ["a"]),
                                  Node(name: "b", opType: "Relu", inputs: ["a"], outputs: ["b"])],
                          initializers: [:], inputs: [], outputs: ["a"], opset: 13)
        #expect(throws: ModelError.self) { try ModelRunner(cycle) }
    }

    @Test func shapeMismatchesAreNamed() throws {
        let g = Graph(nodes: [Node(name: "add", opType: "Add", inputs: ["x", "w"], outputs: ["y"])],
                      initializers: ["w": Tensor(shape: [3], repeating: 1)], inputs: [ValueInfo(name: "x", shape: [2, 4])],
                      outputs: ["y"], opset: 13)
        do { _ = try ModelRunner(g).run(["x": Tensor(shape: [2, 4])]); Issue.record("ran") } catch {
            #expect("\(error)".contains("node 'add' (Add): shapes [2, 4] and [3] do not broadcast"))
        }
    }
}
