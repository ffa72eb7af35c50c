import Foundation
import ImageCodecs
import Testing

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
