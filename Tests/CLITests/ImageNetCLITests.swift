import Foundation
import ImageCodecs
import NeuralNet
import Testing
import Tensors

/// `--preset imagenet` prepares photos as torchvision does (Resize(256), CenterCrop(224)), and
/// `--labels imagenet` names its 1000 classes.
@Suite struct ImageNetCLITests {
    /// A model whose output is its input: a 1×1 convolution with the identity as weights.
    static func copyModel(_ dir: URL) throws -> String {
        var w = Tensor(shape: [3, 3, 1, 1])
        for c in 0..<3 { w.storage[c * 3 + c] = 1 }
        let graph = Graph(nodes: [Node(name: "copy", opType: "Conv", inputs: ["x", "w"], outputs: ["y"])],
                          initializers: ["w": w], inputs: [ValueInfo(name: "x", shape: [1, 3, 224, 224])],
                          outputs: ["y"], opset: 13)
        let path = dir.appendingPathComponent("copy.onnx").path
        try Data(try ONNXWriter.bytes(ONNXWriter.model(graph))).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// 448×300: red for 80 ≤ x < 368, blue beside it, green in the top 10 rows, a black line at x = 224, 225.
    static func photo(_ dir: URL) throws -> String {
        var bytes = Array("P6\n448 300\n255\n".utf8)
        for y in 0..<300 { for x in 0..<448 {
            if y < 10 { bytes += [0, 255, 0] } else if x == 224 || x == 225 { bytes += [0, 0, 0] }
            else { bytes += (80..<368).contains(x) ? [255, 0, 0] : [0, 0, 255] }
        } }
        let path = dir.appendingPathComponent("photo.ppm").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func thePresetResizesTheShortSideTo256AndKeepsTheCentre() throws {
        let dir = try CLI.tempDir()
        let model = try Self.copyModel(dir), photo = try Self.photo(dir), out = dir.appendingPathComponent("x.npy").path
        let r = try CLI.run(["run", model, "--input", photo, "--preset", "imagenet", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let x = try NPYCodec.decode(try ImageReader.readBytes(out), path: out, imageShape: false)
        #expect(x.shape == [1, 3, 224, 224])
        // 300 → 256 rows, 448 → int(256·448/300) = 382 columns; the crop starts at round(158/2) = 79 and
        // round(32/2) = 16, so it sees the photo's x from about 92.6 to 354.5 and y from 18.3 to 280.6:
        // red only (no blue border, no green top), ImageNet-normalised.
        let red: [Float] = [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0 - 0.406) / 0.225]
        var worst: Float = 0
        for c in 0..<3 { for y in 0..<224 { for col in 0..<224 where !(100..<125).contains(col) {
            worst = max(worst, abs(x.storage[(c * 224 + y) * 224 + col] - red[c]))
        } } }
        #expect(worst < 1e-4, "largest difference from red: \(worst)")
        // The black line (x = 224.5 → 224.5·256/300 − 79 ≈ 112.6) darkest near column 112, as the
        // photo's proportions are kept.
        let row = (0..<224).map { x.storage[(0 * 224 + 100) * 224 + $0] }
        let darkest = row.indices.min { row[$0] < row[$1] }!
        #expect((111...114).contains(darkest), "\(darkest)")

        // Without the preset the photo is squashed: its blue border reaches column 0.
        let squashed = try CLI.run(["run", model, "--input", photo, "-o", out])
        #expect(squashed.status == 0)
        let s = try NPYCodec.decode(try ImageReader.readBytes(out), path: out, imageShape: false)
        #expect(s.storage[2 * 224 * 224 + 100 * 224] > 0.9 && s.storage[100 * 224] < 0.1)
    }

    @Test func imagenetLabelsNameTheThousandClasses() throws {
        let dir = try CLI.tempDir()
        let graph = Graph(nodes: [Node(name: "out", opType: "Relu", inputs: ["x"], outputs: ["y"])], initializers: [:],
                          inputs: [ValueInfo(name: "x", shape: [1, 1000])], outputs: ["y"], opset: 13)
        let model = dir.appendingPathComponent("k.onnx").path
        try Data(try ONNXWriter.bytes(ONNXWriter.model(graph))).write(to: URL(fileURLWithPath: model))
        var scores = Tensor(shape: [1, 1000])
        scores.storage[281] = 9; scores.storage[0] = 8; scores.storage[999] = 7
        let input = dir.appendingPathComponent("s.npy").path
        try Data(NPYCodec.encode(scores)).write(to: URL(fileURLWithPath: input))
        let r = try CLI.run(["predict", model, input, "--labels", "imagenet", "--top", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        // ILSVRC 2012's classes 281, 0 and 999 in torchvision's wording.
        let names = r.text.split(separator: "\n").map { $0.components(separatedBy: "  ").last ?? "" }
        #expect(names == ["tabby", "tench", "toilet tissue"], "\(r.text)")
        // Too few classes for ImageNet is an error naming the labels.
        let small = try CLI.run(["predict", "models/lenet5-fashion.onnx", CLI.image("fashion-boot.png"),
                                 "--labels", "imagenet"])
        #expect(small.status == 1 && small.stderr == "cnnfilter: imagenet: 1000 labels for 10 classes\n",
                "\(small.stderr)")
    }
}
