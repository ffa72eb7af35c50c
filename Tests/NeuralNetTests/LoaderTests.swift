import Foundation
import NeuralNet
import Testing
import Tensors

@Suite struct LoaderTests {
    /// The runner's decisions (a fused clip, packed filters, the convolution path) are typed plans beside
    /// each node, and the loader's marks are dropped from a file: a model that carries look-alike attributes
    /// runs as ONNX says.
    @Test func runnerAttributesInAFileAreIgnored() throws {
        let graph = Graph(nodes: [Node(name: "sum", opType: "Add", inputs: ["x", "y"], outputs: ["z"],
                                       attributes: ["cnnfilter.fused_clip": .floats([0, 0])])],
                          initializers: ["y": Tensor(shape: [3], values: [1, 2, 3])],
                          inputs: [ValueInfo(name: "x", shape: [3])], outputs: ["z"], opset: 13)
        let path = NSTemporaryDirectory() + "cnnfilter-marks-\(getpid()).onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(try ONNXWriter.bytes(ONNXWriter.model(graph))).write(to: URL(fileURLWithPath: path))
        let loaded = try ONNXLoader.load(path: path)
        #expect(loaded.nodes[0].attributes.isEmpty)
        let z = try ModelRunner(loaded).run(["x": Tensor(shape: [3], values: [-5, 0, 5])])["z"]!
        #expect(z.storage == [-4, 2, 8])
    }

    /// The writer and the loader agree: a graph written and read back has the same nodes, attributes,
    /// weights, inputs, outputs, opset and metadata.
    @Test func writtenGraphsReadBack() throws {
        var graph = Graph(nodes: [Node(name: "c", opType: "Conv", inputs: ["x", "w"], outputs: ["y"],
                                       attributes: ["pads": .ints([1, 1, 1, 1]), "group": .int(1)]),
                                  Node(name: "a", opType: "LeakyRelu", inputs: ["y"], outputs: ["z"],
                                       attributes: ["alpha": .float(0.2)])],
                          initializers: ["w": Tensor(shape: [2, 1, 3, 3], values: (0..<18).map(Float.init))],
                          inputs: [ValueInfo(name: "x", shape: [nil, 1, 4, 4])], outputs: ["z"], opset: 13)
        graph.metadata = ["labels": "a\nb"]
        let path = NSTemporaryDirectory() + "cnnfilter-roundtrip-\(getpid()).onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(try ONNXWriter.bytes(ONNXWriter.model(graph))).write(to: URL(fileURLWithPath: path))
        let back = try ONNXLoader.load(path: path)
        #expect(back.nodes.map(\.opType) == ["Conv", "LeakyRelu"] && back.nodes[0].ints("pads") == [1, 1, 1, 1])
        #expect(back.nodes[1].float("alpha", default: 0) == 0.2)
        #expect(back.initializers["w"] == graph.initializers["w"])
        #expect(back.inputs == graph.inputs && back.outputs == ["z"] && back.opset == 13 && back.labels == ["a", "b"])
    }
}
