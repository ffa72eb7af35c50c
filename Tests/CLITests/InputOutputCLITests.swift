import Foundation
import ImageCodecs
import Testing
import FilterPipeline

/// Pipes, standard input and output, directories and formats, from the CLI.
@Suite struct InputOutputCLITests {
    let pngSignature = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])

    func decode(_ data: Data) throws -> RasterImage {
        guard case .raster(let r) = try ImageReader.decode([UInt8](data), path: "stdout") else { throw CodecError("stdout", "not pixels") }
        return r
    }

    @Test func pipedStdoutGetsPNGWithoutAnyOption() throws {
        let r = try CLI.run([CLI.image("chelsea.png"), "--kernel", "laplacian"])
        #expect(r.status == 0 && r.stderr.isEmpty)
        #expect(r.stdout.prefix(8) == pngSignature)
        let img = try decode(r.stdout)
        #expect(img.width == 451 && img.height == 300 && img.channels == 3)
    }

    @Test func dashMeansStdinAndStdout() throws {
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: CLI.image("rocket.jpg")))
        let r = try CLI.run(["-", "--kernel", "sharpen", "-o", "-", "--format", "ppm"], stdin: jpeg)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.prefix(2) == Data("P6".utf8))
        let img = try decode(r.stdout)
        #expect(img.width == 640 && img.height == 427)
    }

    @Test func formatsFollowTheExtensionOrFormatOption() throws {
        let dir = try CLI.tempDir()
        for (name, magic) in [("a.png", [UInt8](pngSignature)), ("a.jpg", [0xFF, 0xD8, 0xFF]), ("a.pgm", Array("P5".utf8)),
                              ("a.ppm", Array("P6".utf8)), ("a.npy", [0x93] + Array("NUMPY".utf8))] {
            let out = dir.appendingPathComponent(name).path
            let args = [CLI.image("coffee.png"), "--kernel", "box"] + (name == "a.pgm" ? ["--grayscale"] : []) + ["-o", out]
            let r = try CLI.run(args)
            #expect(r.status == 0, "\(name): \(r.stderr)")
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: out)).prefix(magic.count)) == magic, "\(name)")
        }
        let forced = dir.appendingPathComponent("b.out").path
        #expect(try CLI.run([CLI.image("coffee.png"), "--kernel", "box", "--format", "jpeg", "-o", forced]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: forced)).prefix(2) == Data([0xFF, 0xD8]))
    }

    @Test func npyOutputIsTheRawFloatResult() throws {
        let r = try CLI.run([CLI.image("worked/e2.txt"), "--kernel", "0 1; 2 3", "--padding", "valid", "-o", "-", "--format", "npy"])
        #expect(r.status == 0)
        let t = try NPYCodec.decode([UInt8](r.stdout), path: "stdout")
        #expect(t.shape == [2, 2] && t.storage == [19, 25, 37, 43]) // not clamped to [0, 1]
    }

    @Test func manyInputsGoIntoADirectoryInParallel() throws {
        let dir = try CLI.tempDir()
        let r = try CLI.run([CLI.image("chelsea.png"), CLI.image("coffee.png"), CLI.image("rocket.jpg"),
                             "--kernel", "edge", "-o", dir.path + "/"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["chelsea.png", "coffee.png", "rocket.jpg"])
    }

    @Test func strideAndPoolShrinkPhotos() throws {
        let r = try CLI.run([CLI.image("chelsea.png"), "--kernel", "gaussian", "--stride", "2", "--activation", "relu", "--pool", "max:2"])
        #expect(r.status == 0, "\(r.stderr)")
        let img = try decode(r.stdout)
        #expect(img.width == 113 && img.height == 75) // ceil(451/2) = 226 → 113; 150 → 75
    }

    @Test func helpShowsExamplesAndVersionPrints() throws {
        let help = try CLI.run(["help", "filter"])
        #expect(help.text.contains("cnnfilter photo.png --kernel laplacian") && help.text.contains("--border"))
        let version = try CLI.run(["--version"])
        #expect(version.status == 0 && version.text.split(separator: ".").count == 3)
        let kernels = try CLI.run(["kernels"])
        #expect(kernels.text.contains("sharpen") && kernels.text.contains("laplacian-4"))
        let one = try CLI.run(["kernels", "gaussian"])
        #expect(one.text.contains("scale: 1/16") && one.text.contains("1 2 1"))
        let computed = try CLI.run(["kernels", "box:2"])
        #expect(computed.text.contains("0.25 0.25"))
        let completion = try CLI.run(["--generate-completion-script", "bash"])
        #expect(completion.status == 0 && completion.text.contains("cnnfilter"))
    }
}

@Suite struct BenchCLITests {
    @Test func jsonLinesInTheOrderGiven() throws {
        let r = try CLI.run(["bench", "--size", "64x48", "--kernel", "laplacian", "--kernel", "gaussian:sigma=2", "--runs", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.text.split(separator: "\n")
        #expect(lines.count == 2)
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.map { $0["kernel"] as? String } == ["laplacian", "gaussian:sigma=2"])
        for o in objects {
            for key in ["kernel", "kh", "kw", "width", "height", "channels", "ms", "copy_ms"] { #expect(o[key] != nil, "\(key)") }
            #expect(o["width"] as? Int == 64 && o["height"] as? Int == 48 && o["channels"] as? Int == 3)
            #expect((o["ms"] as? Double ?? 0) > 0 && (o["copy_ms"] as? Double ?? 0) > 0)
        }
        #expect(objects[1]["kh"] as? Int == 13 && objects[1]["separable"] as? Bool == true)
    }

    @Test func badSizeIsAnError() throws {
        let r = try CLI.run(["bench", "--size", "big"])
        #expect(r.status != 0 && r.stderr.contains("--size"))
    }
}

@Suite struct OutputPlanTests {
    @Test func aTerminalGetsAMessageNotBinaryData() {
        #expect(throws: (any Error).self) {
            try OutputPlan.targets(inputs: ["a.png"], output: nil, format: nil, printText: false, stdoutIsTerminal: true)
        }
    }
}
