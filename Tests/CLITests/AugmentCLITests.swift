import Foundation
import ImageCodecs
import Testing

/// `cnnfilter augment`: a sheet of the image and its copies, the same for the same seed; bad options refused.
@Suite struct AugmentCLITests {
    @Test func drawsTheImageAndItsCopies() throws {
        let dir = try CLI.tempDir(), out = dir.appendingPathComponent("boot.png").path
        let args = ["augment", "images/fashion-boot.png", "--augment", "flip,rotate=15", "--count", "3", "-o", out]
        let r = try CLI.run(args)
        #expect(r.status == 0 && r.stderr.contains("and 3 copies (flip,rotate=15.0, seed 1) drawn in \(out)"),
                "\(r.stderr)")
        guard case .raster(let sheet) = try ImageReader.read(path: out) else { Issue.record("not an image"); return }
        // Four 112-pixel tiles in a row (28×28 enlarged four times), with captions above.
        #expect(sheet.width == 8 + 4 * (112 + 8) && sheet.height > 112, "\(sheet.width)×\(sheet.height)")
        let first = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(try CLI.run(args).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == first, "the same seed draws the same copies")
        #expect(try CLI.run(args.dropLast(2) + ["--seed", "2", "-o", out]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) != first, "another seed draws other copies")
    }

    @Test func badOptionsAreOneLine() throws {
        for (args, message) in [(["--augment", "spin"], "--augment: unknown 'spin'"),
                                (["--augment", "flip", "--count", "0"], "--count must be 1 to 64, not 0")] {
            let r = try CLI.run(["augment", "images/fashion-boot.png"] + args + ["-o", "/tmp/never.png"])
            #expect(r.status != 0 && r.stderr.contains(message), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.png"))
    }
}
