import Foundation
import ImageCodecs
import Testing
import Tensors

/// `explain` as a user runs it on the bundled LeNet-5 (the numbers themselves are checked against
/// PyTorch in ExplainTests).
@Suite struct ExplainCLITests {
    let model = CLI.repo.appendingPathComponent("models/lenet5-fashion.onnx").path
    let photo = CLI.repo.appendingPathComponent("images/fashion-boot.png").path

    @Test func everyMethodDrawsAPicture() throws {
        let dir = try CLI.tempDir()
        for method in ["gradcam", "gradcam++", "saliency", "guided", "smoothgrad", "integrated-gradients"] {
            let out = dir.appendingPathComponent("\(method).png").path,
                raw = dir.appendingPathComponent("\(method).npy").path
            let r = try CLI.run(["explain", model, photo, "--method", method, "--top", "2",
                                 "--samples", "4", "--steps", "8",
                                 "-o", out, "--npy", raw])
            #expect(r.status == 0, "\(method): \(r.stderr)")
            guard case .raster(let picture) = try ImageReader.read(path: out) else {
                Issue.record("\(method): no picture"); continue
            }
            // Two panels of at least 224 pixels side by side, a colour bar, two lines of text.
            #expect(picture.width > 2 * 224 && picture.height > 224, "\(method): \(picture.width)×\(picture.height)")
            let map = try NPYCodec.decode(try ImageReader.readBytes(raw), path: raw, imageShape: false)
            let gradcam = method.hasPrefix("gradcam")
            #expect(gradcam ? map.rank == 2 : map.shape == [1, 1, 28, 28], "\(method): \(map.shape)")
            #expect(map.storage.contains { $0 != 0 }, "\(method): the map is all zeros")
            if gradcam { #expect(map.storage.allSatisfy { $0 >= 0 }) }
        }
    }

    @Test func classesByNameAndBadRequestsInOneLine() throws {
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("why.png").path
        let named = try CLI.run(["explain", model, photo, "--class", "sandal", "-o", out])
        #expect(named.status == 0, "\(named.stderr)")
        let cases: [([String], String)] = [
            (["--class", "42"], "--class 42 is out of range: \(model) has 10 classes (0…9)"),
            (["--class", "boots"], "--class 'boots' is not one of \(model)'s classes: T-shirt/top"),
            (["--layer", "C33"], "no layer 'C33'; did you mean 'C3'?"),
            (["--method", "gradcum"], "gradcum"),
        ]
        try FileManager.default.removeItem(atPath: out)
        for (args, message) in cases {
            let r = try CLI.run(["explain", model, photo, "-o", out] + args)
            #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message),
                    "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }
}
