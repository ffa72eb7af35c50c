import Foundation
import ImageCodecs
import NeuralNet
import Testing
import Tensors
@testable import Visualize

@Suite struct VisualizeTests {
    @Test func colormapsMatchMatplotlibAtTheirEnds() {
        // matplotlib's published end colours.
        #expect(Colormap.viridis.rgb(0) == (68, 1, 84) && Colormap.viridis.rgb(1) == (253, 231, 37))
        #expect(Colormap.inferno.rgb(0) == (0, 0, 4) && Colormap.magma.rgb(1) == (252, 253, 191))
        #expect(Colormap.gray.rgb(0.5) == (128, 128, 128) && Colormap.gray.rgb(-3) == (0, 0, 0))
    }

    @Test func normalisationsPickTheirRanges() {
        let a: ArraySlice<Float> = ArraySlice((0..<101).map(Float.init)) // 0 … 100
        let b: ArraySlice<Float> = [5, 5, 5]
        #expect(Normalization.channel.ranges([a, b]).map { [$0.0, $0.1] } == [[0, 100], [5, 5]])
        #expect(Normalization.layer.ranges([a, b]).map { [$0.0, $0.1] } == [[0, 100], [0, 100]])
        let p = Normalization.percentile.ranges([a])[0]
        #expect(p.0 == 1 && p.1 == 99)
        // A constant channel is shown as mid-grey, not as noise.
        #expect(Render.unit(5, (5, 5)) == 0.5)
    }

    @Test func layerMapsFromTensorShapes() {
        #expect(LayerMaps(Tensor(shape: [2, 3, 4, 5])).channels == 3)
        let v = LayerMaps(Tensor(shape: [1, 84]))
        #expect(v.channels == 1 && v.height == 1 && v.width == 84)
    }

    /// A model that fails part-way (Relu runs, then an Add whose shapes do not
    /// broadcast) leaves neither the target directory nor a temporary one.
    @Test func aFailedDumpLeavesNothing() throws {
        let g = Graph(nodes: [Node(name: "relu", opType: "Relu", inputs: ["x"], outputs: ["r"]),
                              Node(name: "add", opType: "Add", inputs: ["r", "w"], outputs: ["y"])],
                      initializers: ["w": Tensor(shape: [3], repeating: 1)],
                      inputs: [ValueInfo(name: "x", shape: [1, 2, 4, 4])], outputs: ["y"], opset: 13)
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("dumpfail-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        #expect(throws: ModelError.self) { try ActivationDump().run(graph: g, input: Tensor(shape: [1, 2, 4, 4]), into: parent.path + "/acts") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path).isEmpty)
    }

    @Test func dumpWritesChannelsSheetsRawValuesAndAnIndex() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../NeuralNetTests/Fixtures/onnx").standardized
        let graph = try ONNXLoader.load(path: fixtures.appendingPathComponent("lenet5.onnx").path)
        let x = try NPYCodec.decode([UInt8](try Data(contentsOf: fixtures.appendingPathComponent("lenet5.input.npy"))), path: "x", imageShape: false)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("acts-\(UUID().uuidString.prefix(6))").path
        var dump = ActivationDump()
        dump.writeNPY = true
        let layers = try dump.run(graph: graph, input: x, into: dir)
        #expect(layers.map(\.name) == ["c1", "c1.relu", "s2", "c3", "c3.relu", "s4", "c5", "c5.relu", "flatten", "f6", "f6.relu", "output", "softmax"])
        let c1 = try FileManager.default.contentsOfDirectory(atPath: dir + "/c1").sorted()
        #expect(c1 == (0..<6).map { String(format: "%03d.png", $0) })
        guard case .raster(let map) = try ImageReader.read(path: dir + "/c1/000.png") else { Issue.record("not an image"); return }
        #expect(map.width == 28 && map.height == 28 && map.channels == 1)
        // The last layer's raw values are the model's output: onnxruntime's numbers.
        let got = try NPYCodec.decode(try ImageReader.readBytes(dir + "/softmax.npy"), path: "s", imageShape: false)
        let want = try NPYCodec.decode([UInt8](try Data(contentsOf: fixtures.appendingPathComponent("lenet5.output.npy"))), path: "w", imageShape: false)
        #expect(got.shape == want.shape && got.maxAbsDifference(want) < 1e-5)
        let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
        #expect(html.contains("c1.png") && html.contains("1×6×28×28"))
        var only = ActivationDump(); only.layers = ["nope"]
        #expect(throws: ModelError.self) { try only.run(graph: graph, input: x, into: dir) }
    }
}
