import Foundation
import NeuralNet
import Testing
import Tensors

/// `cnnfilter info`: parameters without constants, trainable ones apart, receptive fields past constant
/// inputs, plumbing hidden, architecture files. Expected numbers are worked out by hand in the comments.
@Suite struct InfoCLITests {
    /// The bundled LeNet-5 standardises its input with a Sub and a Div by 1×1×1×1 constants.
    @Test func standardisationConstantsAreNotParameters() throws {
        let r = try CLI.run(["info", "models/lenet5-fashion.onnx"])
        #expect(r.status == 0, "\(r.stderr)")
        // C1 6·25+6 = 156, C3 16·6·25+16 = 2,416, C5 120·16·25+120 = 48,120, F6 84·120+84 = 10,164,
        // output 10·84+10 = 850: 61,706, as training reports; all of them trainable.
        #expect(r.text.contains("total: 61,706 parameters (61,706 trainable), "), "\(r.text)")
        let rows = table(r.text)
        #expect(rows["standardize_centre"]?[3] == "0" && rows["standardize"]?[3] == "0")
        #expect(rows["C1"]?[3] == "156" && rows["C3"]?[3] == "2,416" && rows["F6"]?[4] == "10,164")
        // Receptive fields: 5, 5+1 = 6, 6+4·2 = 14, 14+1·2 = 16, 16+4·4 = 32; the Sub and Div see one pixel.
        let fields = ["standardize", "C1", "S2", "C3", "S4", "C5"].map { rows[$0]?.last }
        #expect(fields == ["1", "5", "6", "14", "16", "32"])
        #expect(rows["F6"]?.last == "all")
        // The names to use elsewhere.
        #expect(r.text.contains("--layers (dump-activations) and --layer (show-filters) take these names"))
    }

    /// A MobileNet-like graph: Clip bounds from Constant nodes, a bias shared through Identity copies,
    /// batch normalisation with running statistics.
    static func plumbedModel() throws -> String {
        func t(_ shape: [Int], _ v: Float = 0.1) -> Tensor { Tensor(shape: shape, repeating: v) }
        let nodes = [
            Node(name: "copy1", opType: "Identity", inputs: ["b4"], outputs: ["b4a"]),
            Node(name: "copy2", opType: "Identity", inputs: ["b4"], outputs: ["b4b"]),
            Node(name: "c1", opType: "Conv", inputs: ["x", "w1", "b4a"], outputs: ["c1"],
                 attributes: ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])]),
            Node(name: "bn", opType: "BatchNormalization", inputs: ["c1", "g", "beta", "mean", "var"], outputs: ["bn"]),
            Node(name: "lo", opType: "Constant", inputs: [], outputs: ["lo"], attributes: ["value": .tensor(t([], 0))]),
            Node(name: "hi", opType: "Constant", inputs: [], outputs: ["hi"], attributes: ["value": .tensor(t([], 6))]),
            Node(name: "clip", opType: "Clip", inputs: ["bn", "lo", "hi"], outputs: ["clip"]),
            Node(name: "c2", opType: "Conv", inputs: ["clip", "w2", "b4b"], outputs: ["c2"],
                 attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2])]),
            Node(name: "c3", opType: "Conv", inputs: ["c2", "w3"], outputs: ["c3"],
                 attributes: ["kernel_shape": .ints([3, 3])]),
            Node(name: "gap", opType: "GlobalAveragePool", inputs: ["c3"], outputs: ["gap"]),
            Node(name: "flat", opType: "Flatten", inputs: ["gap"], outputs: ["flat"]),
            Node(name: "fc", opType: "Gemm", inputs: ["flat", "wf", "bf"], outputs: ["y"],
                 attributes: ["transB": .int(1)]),
        ]
        let weights = ["b4": t([4]), "w1": t([4, 2, 3, 3]), "g": t([4], 1), "beta": t([4]), "mean": t([4]),
                       "var": t([4], 1), "w2": t([4, 4, 3, 3]), "w3": t([4, 4, 3, 3]), "wf": t([3, 4]), "bf": t([3])]
        let graph = Graph(nodes: nodes, initializers: weights, inputs: [ValueInfo(name: "x", shape: [1, 2, 12, 12])],
                          outputs: ["y"], opset: 13)
        let path = try CLI.tempDir().appendingPathComponent("plumbed.onnx").path
        try Data(try ONNXWriter.bytes(ONNXWriter.model(graph))).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func constantInputsNeitherCountNorWidenTheReceptiveField() throws {
        let model = try Self.plumbedModel()
        let r = try CLI.run(["info", model])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = table(r.text)
        // The Identity copies and Constant nodes are hidden by default.
        #expect(Set(rows.keys) == ["c1", "bn", "clip", "c2", "c3", "gap", "flat", "fc"], "\(r.text)")
        #expect(r.text.contains("4 nodes not shown (constants, Identity, shape arithmetic): --all-nodes shows them"))
        // c1: 4·2·9 + 4 = 76; bn: 4·4 = 16, 8 trainable (scale, bias); c2: 4·4·9 = 144 (the shared bias
        // counted at c1); c3: 144; fc: 3·4 + 3 = 15. Total 76+16+144+144+15 = 395, trainable 387.
        #expect(rows["c1"]?[3] == "76" && rows["bn"]?[3] == "16" && rows["bn"]?[4] == "8", "\(r.text)")
        #expect(rows["clip"]?[3] == "0" && rows["c2"]?[3] == "144" && rows["fc"]?[3] == "15")
        #expect(r.text.contains("total: 395 parameters (387 trainable), "), "\(r.text)")
        // Receptive fields: c1 3, the Clip keeps 3, c2 3+2 = 5 (then a step of 2), c3 5+2·2 = 9, gap all.
        #expect(["c1", "bn", "clip", "c2", "c3", "gap"].map { rows[$0]?.last } == ["3", "3", "3", "5", "9", "all"])

        let all = try CLI.run(["info", model, "--all-nodes"])
        let every = table(all.text)
        #expect(every.count == 12 && every["lo"]?.last == "-" && every["copy1"]?[1] == "Identity", "\(all.text)")
        #expect(!all.text.contains("not shown"))
    }

    @Test func anArchitectureFileIsSummarisedWithoutTraining() throws {
        let r = try CLI.run(["info", "models/fashion-bn.arch", "--input", "1x28x28", "--classes", "10"])
        #expect(r.status == 0, "\(r.stderr)")
        // The file's own comment: 871,018 trainable parameters; four batch norms keep 2·(32+32+64+64) = 384
        // running statistics on top.
        #expect(r.text.contains("total: 871,402 parameters (871,018 trainable), "), "\(r.text)")
        let rows = table(r.text)
        #expect(rows["conv1"]?[2] == "1×32×28×28" && rows["pool2"]?[2] == "1×64×7×7" && rows["fc2"]?[2] == "1×10")
        #expect(rows["bn1"]?[3] == "128" && rows["bn1"]?[4] == "64")
        #expect(r.text.hasPrefix("models/fashion-bn.arch: "))

        let lenet = try CLI.run(["info", "lenet5", "--input", "1x28x28", "--classes", "10"])
        #expect(lenet.status == 0, "\(lenet.stderr)")
        #expect(lenet.text.contains("total: 61,706 parameters (61,706 trainable)"))
    }

    @Test func architectureErrorsAreOneLine() throws {
        let cases: [([String], String)] = [
            (["info", "models/fashion-bn.arch"],
             "cnnfilter: models/fashion-bn.arch: an architecture needs --input CxHxW and --classes N\n"),
            (["info", "models/fashion-bn.arch", "--input", "28x28", "--classes", "10"],
             "cnnfilter: --input '28x28': expected CxHxW, three positive numbers (1x28x28)\n"),
            (["info", "nope.arch", "--input", "1x28x28", "--classes", "10"],
             "cnnfilter: nope.arch: cannot read the architecture file\n"),
        ]
        for (args, want) in cases {
            let r = try CLI.run(args)
            #expect(r.status != 0 && r.stdout.isEmpty && r.stderr == want, "\(args): \(r.stderr)")
        }
    }

    /// The rows of info's table by layer name: the columns split on runs of two or more spaces.
    func table(_ text: String) -> [String: [String]] {
        var rows: [String: [String]] = [:]
        for line in text.split(separator: "\n").dropFirst(2) where !line.hasPrefix("total:") {
            let cells = line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            if cells.count == 7 { rows[cells[0]] = cells }
        }
        return rows
    }
}
