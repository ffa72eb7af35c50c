import Foundation
import ImageCodecs
import NeuralNet
import Testing
import Tensors
@testable import Visualize

/// The index.html of dump-activations: what a person sees first, which nodes
/// count as layers, and how vectors and the output are drawn.
@Suite struct ReportTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized
    /// Fashion-MNIST's classes in index order, as the data set publishes them.
    static let fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                          "Ankle boot"]

    func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString.prefix(8))").path
    }

    func pixel(_ img: RasterImage, _ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let row = img.rowPointer(y).assumingMemoryBound(to: UInt8.self)
        return img.channels == 1 ? (row[x], row[x], row[x]) : (row[3 * x], row[3 * x + 1], row[3 * x + 2])
    }

    /// LeNet-5 trained on Fashion-MNIST, on the boot photo: the page names the
    /// classes, shows the top class (argmax of a plain ModelRunner run, no observer),
    /// draws C5 (120×1×1) and F6 (84) as vectors and the output as class bars.
    @Test func leNetReportShowsThePredictionWithClassNames() throws {
        let graph = try ONNXLoader.load(path: Self.repo.appendingPathComponent("models/lenet5-fashion.onnx").path)
        let x = try InputPreparation().tensor(from: Self.repo.appendingPathComponent("images/fashion-boot.png").path,
                                              for: graph.inputs[0])
        let logits = try ModelRunner(graph).run([graph.inputs[0].name: x])[graph.outputs[0]]!
        let best = logits.storage.indices.max { logits.storage[$0] < logits.storage[$1] }!
        let dir = tempDir()
        var dump = ActivationDump()
        dump.writeNPY = true
        let layers = try dump.run(graph: graph, input: x, into: dir)
        let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)

        #expect(html.contains("Prediction: <b>\(ReportPage.escape(Self.fashion[best]))</b>"), "top class \(best)")
        for name in Self.fashion {
            #expect(html.contains("<td class=\"name\">\(ReportPage.escape(name))</td>"), "\(name)")
        }
        #expect(html.contains("Class names from the model's metadata"))
        #expect(html.contains("softmax of the model's output") && html.contains("(logits)"))
        // The input picture is embedded, then the layer table links every section.
        #expect(html.contains("<img class=\"px\" src=\"data:image/png;base64,"))
        for l in layers {
            #expect(html.contains("<a href=\"#\(l.name)\">") && html.contains("<section id=\"\(l.name)\">"))
        }
        // The order on the page: input and prediction, the table, then the layers.
        let order = ["The input as the model saw it", "Prediction:", "<h2>Layers</h2>", "<section id="]
            .map { html.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && zip(order, order.dropFirst()).allSatisfy { $0! < $1! })

        // Views follow the data's shape.
        let views = Dictionary(uniqueKeysWithValues: layers.map { ($0.name, $0.view) })
        #expect(views["C1"] == .maps && views["S4"] == .maps)
        #expect(views["C5"] == .vector && views["C5_relu"] == .vector && views["F6"] == .vector)
        #expect(views["output"] == .classes)
        #expect(html.contains("<img class=\"vector\" src=\"C5.png\"") && html.contains("A vector of 120 values"))
        // No 120 one-pixel channel images for a vector.
        #expect(!FileManager.default.fileExists(atPath: dir + "/C5"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/C1").count == 6)

        // The output picture: one row per class in index order, the top class's bar the longest and highlighted.
        let p = Prediction(output: logits, labels: Self.fashion)!
        let chart = VectorChart.classChart(p)
        #expect(chart.layout.classes == Array(0..<10))
        guard case .raster(let out) = try ImageReader.read(path: dir + "/output.png") else {
            Issue.record("no image"); return
        }
        #expect(out.width == chart.image.width && out.height == chart.image.height)
        func barLength(_ row: Int) -> Int {
            let y = chart.layout.rowTop[row] + chart.layout.rowHeight / 2
            return (chart.layout.barLeft..<(chart.layout.barLeft + chart.layout.barWidth))
                .filter { let c = pixel(out, $0, y); return c == VectorChart.positive || c == VectorChart.other }.count
        }
        let lengths = (0..<10).map(barLength)
        #expect(lengths.indices.max { lengths[$0] < lengths[$1] } == best, "\(lengths)")
        #expect(pixel(out, chart.layout.barLeft + 1, chart.layout.rowTop[best] + chart.layout.rowHeight / 2)
                == VectorChart.positive)
    }

    /// C5's bar chart: one scale for all 120 values, so bar heights are in the
    /// order of the values the dump wrote to C5.npy, and the sign decides the colour.
    @Test func vectorBarsShareOneScale() throws {
        let graph = try ONNXLoader.load(path: Self.repo.appendingPathComponent("models/lenet5-fashion.onnx").path)
        let x = try InputPreparation().tensor(from: Self.repo.appendingPathComponent("images/fashion-boot.png").path,
                                              for: graph.inputs[0])
        let dir = tempDir()
        var dump = ActivationDump()
        dump.writeNPY = true
        dump.layers = ["C5"]
        try dump.run(graph: graph, input: x, into: dir)
        let c5 = try NPYCodec.decode(try ImageReader.readBytes(dir + "/C5.npy"), path: "c5", imageShape: false)
        #expect(c5.shape == [1, 120, 1, 1])
        let chart = VectorChart.barChart(c5.storage)
        guard case .raster(let img) = try ImageReader.read(path: dir + "/C5.png") else {
            Issue.record("no image"); return
        }
        #expect(img.width == chart.image.width && chart.layout.panelTop.count == 1 && chart.layout.barWidth >= 4)
        let l = chart.layout
        func bar(_ i: Int) -> Int {
            let x = l.left + i * l.barWidth + l.barWidth / 2
            return (l.panelTop[0]..<(l.panelTop[0] + l.plotHeight)).filter {
                let c = pixel(img, x, $0)
                return c == VectorChart.positive || c == VectorChart.negative
            }.count
        }
        let v = c5.storage
        let biggest = v.indices.max { abs(v[$0]) < abs(v[$1]) }!, smallest = v.indices.min { abs(v[$0]) < abs(v[$1]) }!
        #expect(bar(biggest) > bar(smallest))
        let top = v.indices.max { v[$0] < v[$1] }!, bottom = v.indices.min { v[$0] < v[$1] }!
        #expect(v[top] > 0 && v[bottom] < 0)
        let mid = { (i: Int) in l.left + i * l.barWidth + l.barWidth / 2 }
        #expect(pixel(img, mid(top), l.zeroY[0] - 2) == VectorChart.positive)
        #expect(pixel(img, mid(bottom), l.zeroY[0] + 2) == VectorChart.negative)
        // Heights proportional to |value| on one scale: ratios agree within a pixel or two.
        let ratio = Double(bar(top)) / Double(bar(bottom)), want = Double(abs(v[top]) / abs(v[bottom]))
        #expect(abs(ratio - want) < 0.1 * want + 0.05, "\(ratio) vs \(want)")
    }

    /// A graph with the usual exporter plumbing: an Identity of a weight, a
    /// Constant, and `x.view(x.size(0), -1)` as Shape → Gather → Unsqueeze →
    /// Concat → Reshape. Only Relu, Reshape and MatMul read the input's values.
    static func plumbedGraph() -> Graph {
        let nodes = [
            Node(name: "relu", opType: "Relu", inputs: ["x"], outputs: ["r"]),
            Node(name: "Identity_0", opType: "Identity", inputs: ["w0"], outputs: ["w"]),
            Node(name: "shape", opType: "Shape", inputs: ["r"], outputs: ["s"]),
            Node(name: "Constant_1", opType: "Constant", inputs: [], outputs: ["zero"],
                 attributes: ["value": .tensor(Tensor(shape: [], values: [0]))]),
            Node(name: "gather", opType: "Gather", inputs: ["s", "zero"], outputs: ["n"]),
            Node(name: "unsqueeze", opType: "Unsqueeze", inputs: ["n", "axes"], outputs: ["n1"]),
            Node(name: "concat", opType: "Concat", inputs: ["n1", "minus1"], outputs: ["shape2"],
                 attributes: ["axis": .int(0)]),
            Node(name: "flatten", opType: "Reshape", inputs: ["r", "shape2"], outputs: ["f"]),
            Node(name: "fc", opType: "MatMul", inputs: ["f", "w"], outputs: ["y"]),
        ]
        return Graph(nodes: nodes,
                     initializers: ["w0": Tensor(shape: [8, 3], values: (0..<24).map { Float($0 % 5) - 2 }),
                                    "axes": Tensor(shape: [1], values: [0]),
                                    "minus1": Tensor(shape: [1], values: [-1])],
                     inputs: [ValueInfo(name: "x", shape: [1, 2, 2, 2])], outputs: ["y"], opset: 13)
    }

    @Test func constantsIdentityAndShapeArithmeticAreNotLayers() throws {
        let g = Self.plumbedGraph()
        let hidden = GraphPlumbing.plumbing(in: g).map { g.nodes[$0].displayName }
        #expect(Set(hidden) == ["Identity_0", "shape", "Constant_1", "gather", "unsqueeze", "concat"])

        let x = Tensor(shape: [1, 2, 2, 2], values: [1, -2, 3, -4, 5, -6, 7, -8])
        let dir = tempDir()
        let layers = try ActivationDump().run(graph: g, input: x, into: dir)
        #expect(layers.map(\.name) == ["relu", "flatten", "fc"])
        let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
        for op in ["Identity", "Constant", "Shape", "Gather", "Unsqueeze", "Concat"] {
            #expect(!html.contains("<td>\(op)</td>") && !html.contains("<span class=\"meta\">\(op) "), "\(op)")
        }
        #expect(!html.contains("<section id=\"Identity_0\"") && !html.contains("<section id=\"gather\""))
        #expect(html.contains("6 nodes whose value does not depend on the input") && html.contains("--all-nodes"))
        // The output (3 values, negative ones among them) is a prediction over "class 0 … 2".
        #expect(html.contains("Prediction: <b>class ") && html.contains("(logits)")
                && html.contains("The model carries no class names"))

        var all = ActivationDump()
        all.allNodes = true
        let every = try all.run(graph: g, input: x, into: tempDir())
        #expect(every.count == g.nodes.count)
        // Named on purpose, a constant is shown too.
        var named = ActivationDump()
        named.layers = ["Identity_0", "fc"]
        #expect(try named.run(graph: g, input: x, into: tempDir()).map(\.name) == ["Identity_0", "fc"])
    }

    @Test func logitsBecomeProbabilitiesAndProbabilitiesStay() throws {
        let logits = Prediction(output: Tensor(shape: [1, 3], values: [1, 2, 3]), labels: ["a", "b", "c"])!
        let e = [1, 2, 3].map { exp(Double($0)) }, sum = e.reduce(0, +)
        #expect(logits.fromLogits && logits.ranking == [2, 1, 0] && logits.names == ["a", "b", "c"])
        for (p, want) in zip(logits.probabilities, e.map { $0 / sum }) { #expect(abs(Double(p) - want) < 1e-6) }
        let probs = Prediction(output: Tensor(shape: [1, 2, 1, 1], values: [0.25, 0.75]), labels: ["only one"])!
        #expect(!probs.fromLogits && probs.probabilities == [0.25, 0.75] && probs.names == ["class 0", "class 1"])
        // Maps are not a prediction.
        #expect(Prediction(output: Tensor(shape: [1, 3, 4, 4]), labels: nil) == nil)
        #expect(VectorChart.percent(0.9996) == "99.96%")
    }

    /// 1000 classes: the picture lists the 10 most probable, most probable first.
    @Test func manyClassesShowTheTopTen() {
        var v = [Float](repeating: 0, count: 1000)
        v[417] = 9; v[3] = 8; v[999] = 7
        let chart = VectorChart.classChart(Prediction(output: Tensor(shape: [1, 1000], values: v), labels: nil)!)
        #expect(chart.layout.classes.count == 10 && Array(chart.layout.classes.prefix(3)) == [417, 3, 999])
    }

    /// Each tile of a contact sheet links to its channel's PNG with the channel's value range,
    /// and the link's box covers the tile on the sheet.
    @Test func tilesOpenTheirChannelWithItsRange() throws {
        let g = Self.plumbedGraph()
        let x = Tensor(shape: [1, 2, 2, 2], values: [1, -2, 3, -4, 5, -6, 7, -8])
        let dir = tempDir()
        try ActivationDump().run(graph: g, input: x, into: dir)
        let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
        // relu's channel 1 is max(0, [5, -6, 7, -8]) = [5, 0, 7, 0].
        #expect(html.contains("<a class=\"tile\" href=\"relu/001.png\" data-layer=\"relu\" data-c=\"1\" "
                              + "data-min=\"0\" data-max=\"7\""))
        #expect(html.contains("title=\"channel 1: 0 … 7\""))
        let maps = LayerMaps(Tensor(shape: [1, 2, 2, 2], values: [1, 0, 3, 0, 5, 0, 7, 0]))
        let sheet = ContactSheet.sheet(maps, ranges: Normalization.channel.ranges([maps.channel(0), maps.channel(1)]),
                                       colormap: .gray, sharedRange: nil)
        let t = sheet.layout.tiles[1]
        // The tile's top-left map pixel (value 5 of 0 … 7) sits below the label inside the tile's box.
        let grey = pixel(sheet.image, t.x + 1, t.y + t.h - 1)
        #expect(t.x + t.w <= sheet.layout.width && grey.0 == grey.1 && grey.0 > 0)
    }
}

/// How `--layers` words pick nodes of an exported graph.
@Suite struct LayerSelectionTests {
    /// Names as PyTorch's exporter writes a ResNet block (/layer1/layer1.0/conv1/Conv).
    static let graph: Graph = {
        let names = ["/conv1/Conv", "/relu/Relu", "/layer1/layer1.0/conv1/Conv", "/layer1/layer1.0/relu/Relu",
                     "/layer1/layer1.1/conv1/Conv", "/layer4/layer4.1/conv1/Conv", "/fc/Gemm"]
        let nodes = names.enumerated().map { i, n in
            Node(name: n, opType: String(n.split(separator: "/").last!), inputs: [i == 0 ? "x" : "v\(i - 1)"],
                 outputs: ["v\(i)"])
        }
        return Graph(nodes: nodes, initializers: [:], inputs: [ValueInfo(name: "x", shape: [1, 1, 4, 4])],
                     outputs: ["v6"], opset: 13)
    }()

    func pick(_ words: [String]) throws -> [String] {
        try LayerSelection.resolve(words, in: Self.graph).map { Self.graph.nodes[$0].displayName }
    }

    @Test func exportedNamesMatchByNameOperatorBeginningOrPart() throws {
        #expect(try pick(["_LAYER1_layer1.0_conv1_conv"]) == ["_layer1_layer1.0_conv1_Conv"])
        #expect(try pick(["/layer1/layer1.0/conv1/Conv"]) == ["_layer1_layer1.0_conv1_Conv"])
        #expect(try pick(["gemm"]) == ["_fc_Gemm"])
        #expect(try pick(["conv"]).count == 4)
        // A beginning, the leading "_" left out: the stem's conv1 only, not the blocks' conv1.
        #expect(try pick(["conv1"]) == ["_conv1_Conv"])
        #expect(try pick(["layer1"]) == ["_layer1_layer1.0_conv1_Conv", "_layer1_layer1.0_relu_Relu",
                                          "_layer1_layer1.1_conv1_Conv"])
        // No name begins with layer4.1, a part of one does.
        #expect(try pick(["layer4.1"]) == ["_layer4_layer4.1_conv1_Conv"])
        #expect(try pick(["fc", "relu"]) == ["_relu_Relu", "_layer1_layer1.0_relu_Relu", "_fc_Gemm"])
    }

    @Test func noMatchSuggests() {
        #expect(throws: ModelError.self) { try pick(["layer9"]) }
        do { _ = try pick(["gemn"]) } catch let e as ModelError {
            #expect(e.message == "no layer named 'gemn'; did you mean 'Gemm'? (cnnfilter info lists the layers)")
        } catch { Issue.record("\(error)") }
    }
}
