import Foundation
import ImageCodecs
import Testing
import Tensors

@Suite struct ModelCLITests {
    let fixtures = CLI.repo.appendingPathComponent("Tests/NeuralNetTests/Fixtures/onnx")
    func path(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    @Test func infoPrintsLayersAndTotals() throws {
        let r = try CLI.run(["info", path("lenet5.onnx")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text.contains("c1") && r.text.contains("1×6×28×28") && r.text.contains("total: 61,706 parameters"))
    }

    @Test func runWritesTheFirstOutput() throws {
        let out = try CLI.tempDir().appendingPathComponent("y.npy").path
        let r = try CLI.run(["run", path("lenet5.onnx"), "--input", path("lenet5.input.npy"), "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let got = try NPYCodec.decode(try ImageReader.readBytes(out), path: out, imageShape: false)
        let want = try NPYCodec.decode(try ImageReader.readBytes(path("lenet5.output.npy")), path: "w", imageShape: false)
        #expect(got.maxAbsDifference(want) < 1e-5)
    }

    @Test func dumpActivationsFromAPhoto() throws {
        let dir = try CLI.tempDir().appendingPathComponent("acts").path
        let r = try CLI.run(["dump-activations", path("lenet5.onnx"), CLI.image("chelsea.png"), "-o", dir,
                             "--layers", "c1,s4", "--colormap", "viridis"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty) // progress goes to stderr
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(files == ["c1", "c1.png", "s4", "s4.png", "index.html"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/s4").count == 16)
    }

    @Test func predictShowsTheTopClassesWithLabels() throws {
        let dir = try CLI.tempDir()
        let labels = dir.appendingPathComponent("labels.txt")
        try (0..<10).map { "class-\($0)" }.joined(separator: "\n").write(to: labels, atomically: true, encoding: .utf8)
        let r = try CLI.run(["predict", path("lenet5.onnx"), path("lenet5.input.npy"), "--labels", labels.path, "--top", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.text.split(separator: "\n")
        guard lines.count == 3 else { Issue.record("3 lines expected: \(r.text) \(r.stderr)"); return }
        #expect(lines[0].hasPrefix("1 ") && lines[0].contains("class-"))
        // onnxruntime's probabilities: the top class is the largest of the fixture's output.
        let want = try NPYCodec.decode(try ImageReader.readBytes(path("lenet5.output.npy")), path: "w", imageShape: false)
        let best = want.storage.indices.max { want.storage[$0] < want.storage[$1] }!
        #expect(lines[0].hasSuffix("class-\(best)"))
    }

    @Test func benchTimesAModel() throws {
        let r = try CLI.run(["bench", path("lenet5.onnx"), "--runs", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try JSONSerialization.jsonObject(with: Data(r.text.utf8)) as! [String: Any]
        #expect(o["model"] as? String == path("lenet5.onnx") && (o["ms"] as? Double ?? 0) > 0)
    }

    /// Every instruction set the CPU runs computes the same answer (within float rounding); others are refused.
    @Test func everyKernelSetGivesTheSameAnswer() throws {
        let sets = try CLI.run(["bench", "--list-isas"]).text.split(separator: "\n").map(String.init)
        #expect(sets.last == "sse" && sets.count >= 1)
        var answers: [Tensor] = []
        for isa in sets {
            let dir = try CLI.tempDir(), out = dir.appendingPathComponent("y.npy").path
            let r = try CLI.run(["run", path("lenet5.onnx"), "--input", path("lenet5.input.npy"), "-o", out],
                                env: ["CNNFILTER_ISA": isa])
            #expect(r.status == 0, "\(isa): \(r.stderr)")
            answers.append(try NPYCodec.decode(try ImageReader.readBytes(out), path: out, imageShape: false))
            let b = try CLI.run(["bench", path("lenet5.onnx"), "--runs", "1", "--json", "--isa", isa])
            let o = try JSONSerialization.jsonObject(with: Data(b.text.utf8)) as? [String: Any]
            #expect(o?["isa"] as? String == isa, "\(b.text) \(b.stderr)")
        }
        for a in answers.dropFirst() { #expect(a.maxAbsDifference(answers[0]) < 1e-4) }
        let bad = try CLI.run(["bench", path("lenet5.onnx")], env: ["CNNFILTER_ISA": "avx9"])
        #expect(bad.status != 0 && bad.stderr.contains("CNNFILTER_ISA: unknown instruction set 'avx9'"))
    }

    @Test func benchProfilesEveryLayerOnEitherConvolutionPath() throws {
        for conv in ["direct", "sgemm"] {
            let r = try CLI.run(["bench", path("lenet5.onnx"), "--runs", "3", "--json", "--profile", "--conv", conv])
            #expect(r.status == 0, "\(r.stderr)")
            let rows = r.text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            // The lecture's LeNet-5 fixture: one line per layer run (3 Conv, 2 MaxPool, ...; the Relu after
            // each Conv is folded into it), then the model's own line.
            let ops = rows.compactMap { $0?["op"] as? String }
            #expect(ops.filter { $0 == "Conv" }.count == 3 && ops.filter { $0 == "MaxPool" }.count == 2, "\(ops)")
            #expect(rows.last??["model"] as? String == path("lenet5.onnx"))
        }
        let bad = try CLI.run(["bench", path("lenet5.onnx"), "--conv", "fft"])
        #expect(bad.status != 0)
    }

    @Test func showFiltersDrawsRGBFiltersInColour() throws {
        let out = try CLI.tempDir().appendingPathComponent("f.png").path
        let r = try CLI.run(["show-filters", path("conv_basic.onnx"), "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        guard case .raster(let img) = try ImageReader.read(path: out) else { Issue.record("no image"); return }
        #expect(img.channels == 3 && img.width > 60)
        let missing = try CLI.run(["show-filters", path("conv_basic.onnx"), "--layer", "nope", "-o", out + "2"])
        #expect(missing.status != 0 && missing.stderr.contains("no convolution layer named 'nope'"))
    }

    @Test func kernelsAreAOneLayerModel() throws {
        let dir = try CLI.tempDir().appendingPathComponent("k").path
        let r = try CLI.run(["dump-activations", "--kernel", "edge", "--kernel", "sobel-x", "--kernel", "gaussian-5",
                             CLI.image("step.png"), "-o", dir, "--npy"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/filters").count == 3)
        let maps = try NPYCodec.decode(try ImageReader.readBytes(dir + "/filters.npy"), path: "m", imageShape: false)
        #expect(maps.shape == [1, 3, 48, 64])
        // sobel-x on the vertical step 0.2 → 0.8 between columns 31 and 32: at x it is
        // (1+2+1)·(I[x−1] − I[x+1]), so −2.4 at columns 31 and 32 and 0 elsewhere in the row.
        let row = 20, plane = 48 * 64
        for x in [31, 32] { #expect(abs(maps.storage[plane + row * 64 + x] - (-2.4)) < 1e-4, "column \(x)") }
        for x in [10, 30, 33, 50] { #expect(abs(maps.storage[plane + row * 64 + x]) < 1e-5, "column \(x)") }
    }

    @Test func overlayBlendsMapsOverThePhoto() throws {
        let dir = try CLI.tempDir().appendingPathComponent("ov").path
        let r = try CLI.run(["dump-activations", path("lenet5.onnx"), CLI.image("chelsea.png"), "-o", dir, "--layers", "s4",
                             "--overlay", "--colormap", "turbo"])
        #expect(r.status == 0, "\(r.stderr)")
        // Each 5×5 map of S4 is shown at the model's 32×32 input size, in colour over the (grey) photo.
        guard case .raster(let img) = try ImageReader.read(path: dir + "/s4/000.png") else { Issue.record("no image"); return }
        #expect(img.width == 32 && img.height == 32 && img.channels == 3)
        let bad = try CLI.run(["dump-activations", path("lenet5.onnx"), "--input", path("lenet5.input.npy"), "-o", dir, "--overlay"])
        #expect(bad.status != 0 && bad.stderr.contains("--overlay needs a photo"))
    }

    @Test func badModelsGiveOneLine() throws {
        let dir = try CLI.tempDir()
        let bad = dir.appendingPathComponent("bad.onnx")
        try Data([UInt8](repeating: 0xFF, count: 100)).write(to: bad)
        for args in [["info", bad.path], ["info", dir.appendingPathComponent("absent.onnx").path],
                     ["run", path("lenet5.onnx"), "--input", path("relu.input.npy"), "-o", dir.appendingPathComponent("y.npy").path],
                     ["dump-activations", path("lenet5.onnx"), "--input", path("lenet5.input.npy"), "-o", dir.path, "--layers", "c9"]] {
            let r = try CLI.run(args)
            #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("y.npy").path))
    }
}
