import Foundation
import ImageCodecs
import Testing

/// `visualize` as a user runs it: the files it writes for a grey and a colour model, class logits by
/// name, and bad requests in one line with nothing written (how far the pictures raise their channels
/// is checked in ExplainTests).
@Suite struct VisualizeCLITests {
    let model = CLI.repo.appendingPathComponent("models/lenet5-fashion.onnx").path

    func picture(_ path: String) throws -> RasterImage? {
        guard case .raster(let r) = try ImageReader.read(path: path) else { return nil }
        return r
    }

    @Test func writesASheetAndOnePicturePerChannel() throws {
        let dir = try CLI.tempDir().appendingPathComponent("features").path
        let r = try CLI.run(["visualize", model, "--layer", "C3", "--channels", "0-2,7", "--steps", "16", "-o", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("C3 channel 7: channel mean"), "\(r.stderr)")
        for c in ["000", "001", "002", "007"] {
            let p = try #require(try picture(dir + "/C3/\(c).png"), "C3/\(c).png")
            #expect(p.width == 28 && p.height == 28 && p.channels == 1)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/C3/003.png"))
        let sheet = try #require(try picture(dir + "/C3.png"))
        #expect(sheet.width > 2 * 96 && sheet.height > 2 * 96, "\(sheet.width)×\(sheet.height)")
    }

    @Test func colourModelsAndClassLogits() throws {
        let dir = try CLI.tempDir()
        let residual = CLI.repo.appendingPathComponent("Tests/NeuralNetTests/Fixtures/gradients/residual/model.onnx")
        let colour = dir.appendingPathComponent("colour").path
        let r = try CLI.run(["visualize", residual.path, "--layer", "_conv2_Conv", "--channels", "1", "--neuron",
                             "--steps", "8", "--size", "12", "-o", colour])
        #expect(r.status == 0, "\(r.stderr)")
        let p = try #require(try picture(colour + "/_conv2_Conv/001.png"))
        #expect(p.width == 12 && p.channels == 3)
        let classes = dir.appendingPathComponent("classes").path
        let named = try CLI.run(["visualize", model, "--class", "sandal,9", "--steps", "8", "-o", classes])
        #expect(named.status == 0, "\(named.stderr)")
        for c in ["005", "009"] { #expect(FileManager.default.fileExists(atPath: classes + "/output/\(c).png")) }
    }

    @Test func badRequestsInOneLine() throws {
        let dir = try CLI.tempDir().appendingPathComponent("never").path
        let cases: [([String], String)] = [
            (["--layer", "C33"], "no layer 'C33'; did you mean 'C3'?"),
            (["--layer", "C3", "--channels", "0-31"],
             "--channels 0-31: channels 16…31 are out of range: layer 'C3' has 16 channels (0…15)"),
            (["--layer", "C3", "--channels", "x"], "'x' is not a list of channels"),
            (["--class", "boots"], "--class 'boots' is not one of \(model)'s 10 classes: T-shirt/top"),
            ([], "give --layer or --class"),
            (["--layer", "C3", "--size", "4"], "--size must be between 8 and 1024"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(["visualize", model, "-o", dir, "--steps", "2"] + args)
            #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message),
                    "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir))
        }
    }
}
