import Foundation
import Testing

/// Layers named on the command line as `cnnfilter info` lists them: any case, a beginning, an operator.
@Suite struct LayerNamesCLITests {
    let model = "models/lenet5-fashion.onnx", photo = CLI.image("fashion-boot.png")

    func dump(_ layers: String) throws -> (CLI.Result, Set<String>) {
        let dir = try CLI.tempDir().appendingPathComponent("acts").path
        let r = try CLI.run(["dump-activations", model, photo, "-o", dir, "--layers", layers])
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return (r, Set(files.filter { $0.hasSuffix(".png") }))
    }

    @Test func namesMatchIgnoringCaseByBeginningOrByOperator() throws {
        // The model's layers (models/README): C1 C1_relu S2 C3 C3_relu S4 C5 C5_relu F6_flatten F6 F6_relu output.
        let cases: [(String, Set<String>)] = [
            ("c1,s4", ["C1.png", "S4.png"]),
            ("conv", ["C1.png", "C3.png", "C5.png"]),
            ("Relu", ["C1_relu.png", "C3_relu.png", "C5_relu.png", "F6_relu.png"]),
            ("c3_", ["C3_relu.png"]),
            ("f6, maxpool", ["F6.png", "S2.png", "S4.png"]),
        ]
        for (layers, want) in cases {
            let (r, files) = try dump(layers)
            #expect(r.status == 0, "\(layers): \(r.stderr)")
            #expect(files == want, "\(layers)")
        }
    }

    @Test func aNameThatMatchesNothingSuggestsTheClosest() throws {
        let dir = try CLI.tempDir().appendingPathComponent("acts").path
        let r = try CLI.run(["dump-activations", model, photo, "-o", dir, "--layers", "c1,outptu"])
        #expect(r.status == 1 && r.stdout.isEmpty)
        #expect(r.stderr == "cnnfilter: models/lenet5-fashion.onnx: no layer named 'outptu'; did you mean 'output'? "
                + "(cnnfilter info lists the layers)\n", "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir))
        // Equally close names are all offered.
        let tie = try CLI.run(["dump-activations", model, photo, "-o", dir, "--layers", "c7"])
        #expect(tie.stderr.contains("no layer named 'c7'; did you mean 'C1', 'C3' or 'C5'?"), "\(tie.stderr)")
    }

    @Test func showFiltersTakesTheSameNames() throws {
        let out = try CLI.tempDir().appendingPathComponent("f.png").path
        let ok = try CLI.run(["show-filters", model, "--layer", "c3", "-o", out])
        #expect(ok.status == 0 && ok.stderr.contains("C3: 16×6×5×5 weights"), "\(ok.stderr)")
        let cases: [(String, String)] = [
            ("c", "models/lenet5-fashion.onnx: 'c' names 3 convolution layers (C1, C3, C5); give one"),
            ("f6", "models/lenet5-fashion.onnx: layer 'F6' is a Gemm, not a convolution (the Conv layers: C1, C3, C5)"),
            ("cc3", "models/lenet5-fashion.onnx: no convolution layer named 'cc3'; did you mean 'C3'?"),
        ]
        for (layer, want) in cases {
            let bad = try CLI.run(["show-filters", model, "--layer", layer, "-o", out + layer])
            #expect(bad.status == 1 && bad.stderr.hasPrefix("cnnfilter: " + want), "\(layer): \(bad.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out + layer))
        }
    }
}
