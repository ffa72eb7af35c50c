import Foundation
import ImageCodecs
import Testing

/// `cnnfilter dump-activations` as a person runs it: the page it writes.
@Suite struct ReportCLITests {
    let fixtures = CLI.repo.appendingPathComponent("Tests/NeuralNetTests/Fixtures/onnx")
    func path(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// The fixture's output is onnxruntime's softmax on the same input: its largest value is the top class.
    @Test func labelsFileNamesTheTopClassOfOnnxruntime() throws {
        let dir = try CLI.tempDir()
        let labels = dir.appendingPathComponent("labels.txt")
        try (0..<10).map { "digit \($0)" }.joined(separator: "\n").write(to: labels, atomically: true, encoding: .utf8)
        let acts = dir.appendingPathComponent("acts").path
        let r = try CLI.run(["dump-activations", path("lenet5.onnx"), "--input", path("lenet5.input.npy"), "-o", acts,
                             "--labels", labels.path, "--top", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let want = try NPYCodec.decode(try ImageReader.readBytes(path("lenet5.output.npy")), path: "w",
                                       imageShape: false)
        let best = want.storage.indices.max { want.storage[$0] < want.storage[$1] }!
        let html = try String(contentsOfFile: acts + "/index.html", encoding: .utf8)
        #expect(html.contains("Prediction: <b>digit \(best)</b>"))
        #expect(html.contains("Top 3 of 10 classes") && html.contains("Class names from \(labels.path)"))
        // The fixture ends in a Softmax: its values are shown as they are.
        #expect(html.contains("as it is (already probabilities)"))
        let pct = String(format: "%.2f%%", Double(want.storage[best]) * 100)
        #expect(html.contains("<td class=\"pct\">\(pct)</td>"), "\(pct)")
    }

    @Test func wrongLabelsGiveOneLineNamingTheFile() throws {
        let dir = try CLI.tempDir()
        let labels = dir.appendingPathComponent("nine.txt")
        try (0..<9).map { "c\($0)" }.joined(separator: "\n").write(to: labels, atomically: true, encoding: .utf8)
        let acts = dir.appendingPathComponent("acts").path
        let r = try CLI.run(["dump-activations", path("lenet5.onnx"), "--input", path("lenet5.input.npy"), "-o", acts,
                             "--labels", labels.path])
        // Progress lines, then the one error line.
        let line = "\ncnnfilter: \(labels.path): 9 labels for 10 classes\n"
        #expect(r.status != 0 && r.stderr.hasSuffix(line), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: acts))
        let absent = try CLI.run(["dump-activations", path("lenet5.onnx"), "--input", path("lenet5.input.npy"),
                                  "-o", acts,
                                  "--labels", dir.appendingPathComponent("none.txt").path])
        #expect(absent.status != 0 && absent.stderr.contains("none.txt: no such file")
                && absent.stderr.split(separator: "\n").count == 1, "\(absent.stderr)")
    }

    /// The shipped Fashion-MNIST LeNet-5 carries its class names; `predict` prints the same top class.
    @Test func modelMetadataNamesTheClasses() throws {
        let model = CLI.repo.appendingPathComponent("models/lenet5-fashion.onnx").path
        let acts = try CLI.tempDir().appendingPathComponent("acts").path
        let r = try CLI.run(["dump-activations", model, CLI.image("fashion-boot.png"), "-o", acts])
        #expect(r.status == 0, "\(r.stderr)")
        let p = try CLI.run(["predict", model, CLI.image("fashion-boot.png"), "--top", "1"])
        let top = p.text.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).joined(separator: " ")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let html = try String(contentsOfFile: acts + "/index.html", encoding: .utf8)
        #expect(!top.isEmpty && html.contains("Prediction: <b>\(top)</b>"), "\(p.text)")
        #expect(html.contains("Class names from the model's metadata"))
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: acts))
        #expect(files.isSuperset(of: ["C5.png", "F6.png", "output.png", "C1", "C1.png"]) && !files.contains("C5"))
    }

    @Test func overlayDefaultsToAHeatMapColourMap() throws {
        let acts = try CLI.tempDir().appendingPathComponent("ov").path
        let r = try CLI.run(["dump-activations", path("lenet5.onnx"), CLI.image("chelsea.png"), "-o", acts,
                             "--layers", "c1", "--overlay"])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: acts + "/index.html", encoding: .utf8)
        #expect(html.contains("Colour map turbo over the photo"))
        let plain = try CLI.run(["dump-activations", path("lenet5.onnx"), CLI.image("chelsea.png"), "-o", acts + "2",
                                 "--layers", "c1"])
        #expect(plain.status == 0)
        #expect(try String(contentsOfFile: acts + "2/index.html", encoding: .utf8).contains("Colour map gray,"))
    }
}
