import Foundation
import ImageCodecs
import Testing

/// `dump-activations --explain` and `--visualize` as a user runs them: the pictures exist, the page
/// shows them, and they are what `explain --class C` and `visualize --layer NAME` write, byte for byte
/// (and the raw maps equal through --npy); for one photo, a batch, and bad requests in one line.
@Suite struct ReportExplainCLITests {
    let lenet = CLI.repo.appendingPathComponent("models/lenet5-fashion.onnx").path
    let colour = CLI.repo.appendingPathComponent("Tests/ExplainTests/Fixtures/colour")
    var colourModel: String { colour.appendingPathComponent("model.onnx").path }
    func colourPhoto(_ name: String) -> String { colour.appendingPathComponent("\(name).png").path }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func npy(_ path: String) throws -> [Float] {
        try NPYCodec.decode(try ImageReader.readBytes(path), path: path, imageShape: false).storage
    }

    /// The explanations the report lists (DIR/explain/METHOD-classC.png), in the page's order.
    func explained(_ html: String, method: String) -> [Int] {
        html.components(separatedBy: "<img src=\"explain/\(method)-class").dropFirst().compactMap {
            Int($0.prefix { $0.isNumber })
        }
    }

    /// The report's explanation of each listed class equals `explain` run on its own for that class.
    func expectSameAsExplain(_ dir: String, model: String, photo: String, method: String, options: [String],
                             count: Int) throws -> [Int] {
        let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
        let classes = explained(html, method: method)
        #expect(classes.count == count, "\(classes)")
        let scratch = try CLI.tempDir("explain-\(method)")
        for c in classes {
            let png = dir + "/explain/\(method)-class\(c).png", raw = dir + "/explain/\(method)-class\(c).npy"
            #expect(FileManager.default.fileExists(atPath: png) && html.contains("<figcaption>class \(c): "))
            let out = scratch.appendingPathComponent("\(c).png").path
            let outRaw = scratch.appendingPathComponent("\(c).npy").path
            let r = try CLI.run(["explain", model, photo, "--method", method, "--class", String(c), "-o", out,
                                 "--npy", outRaw] + options)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try bytes(png) == bytes(out), "\(method) class \(c): the pictures differ")
            #expect(try npy(raw) == npy(outRaw), "\(method) class \(c): the raw maps differ")
        }
        return classes
    }

    @Test func lenetReportHasGradCAMAndFeaturePictures() throws {
        let dir = try CLI.tempDir().appendingPathComponent("acts").path
        let photo = CLI.image("fashion-boot.png")
        let r = try CLI.run(["dump-activations", lenet, photo, "-o", dir, "--layers", "C1,C3", "--npy",
                             "--explain", "gradcam", "--visualize", "--visualize-steps", "8"])
        #expect(r.status == 0, "\(r.stderr)")
        let classes = try expectSameAsExplain(dir, model: lenet, photo: photo, method: "gradcam", options: [],
                                              count: 3)
        #expect(classes.first == 9, "the top class of the boot is Ankle boot (9): \(classes)")
        let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
        #expect(html.contains("class 9: Ankle boot"))
        // Each convolution's feature pictures, beside its maps, as `visualize` draws them.
        for (layer, channels) in [("C1", 6), ("C3", 16)] {
            #expect(html.contains("<img src=\"features/\(layer).png\""), "\(layer)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/features/\(layer)")
            #expect(files.count == channels, "\(layer): \(files.count) pictures")
        }
        let features = try CLI.tempDir().appendingPathComponent("features").path
        let v = try CLI.run(["visualize", lenet, "--layer", "C3", "--steps", "8", "-o", features])
        #expect(v.status == 0, "\(v.stderr)")
        #expect(try bytes(dir + "/features/C3.png") == bytes(features + "/C3.png"))
        for c in ["000", "007", "015"] {
            #expect(try bytes(dir + "/features/C3/\(c).png") == bytes(features + "/C3/\(c).png"), "C3/\(c)")
        }
    }

    @Test func colourModelWithTheMethodsOptions() throws {
        let dir = try CLI.tempDir().appendingPathComponent("acts").path
        let photo = colourPhoto("red")
        let r = try CLI.run(["dump-activations", colourModel, photo, "-o", dir, "--npy",
                             "--explain", "integrated-gradients", "--explain-steps", "8", "--explain-baseline", "blur",
                             "--explain-top", "2", "--visualize", "--visualize-steps", "4",
                             "--visualize-channels", "7,1"])
        #expect(r.status == 0, "\(r.stderr)")
        let classes = try expectSameAsExplain(dir, model: colourModel, photo: photo, method: "integrated-gradients",
                                              options: ["--steps", "8", "--baseline", "blur"], count: 2)
        #expect(classes.first == 0, "the red square is red (class 0): \(classes)")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir + "/features/_conv2_Conv"))
        #expect(files == ["001.png", "007.png"], "\(files)")
        guard case .raster(let picture) = try ImageReader.read(path: dir + "/features/_conv2_Conv/007.png") else {
            Issue.record("no feature picture"); return
        }
        #expect(picture.channels == 3 && picture.width == 16)
        let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
        #expect(html.contains("What channels 7, 1 of 8 look for") && html.contains("features/_conv1_Conv.png"))
    }

    @Test func batchReportsEachExplainTheirPhoto() throws {
        let dir = try CLI.tempDir()
        let list = dir.appendingPathComponent("list.txt")
        try Data("\(colourPhoto("red"))\n\(colourPhoto("green"))\n".utf8).write(to: list)
        let acts = dir.appendingPathComponent("acts").path
        try FileManager.default.createDirectory(atPath: acts, withIntermediateDirectories: true)
        let r = try CLI.run(["dump-activations", colourModel, "--files-from", list.path, "-o", acts, "--npy",
                             "--explain", "saliency", "--explain-top", "1", "--visualize", "--visualize-steps", "4",
                             "--visualize-channels", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        for (name, top) in [("red", 0), ("green", 1)] {
            let classes = try expectSameAsExplain(acts + "/" + name, model: colourModel, photo: colourPhoto(name),
                                                  method: "saliency", options: [], count: 1)
            #expect(classes == [top], "\(name): \(classes)")
        }
        // A misspelt layer fails once, before any report.
        let typo = try CLI.run(["dump-activations", colourModel, "--files-from", list.path, "-o", acts,
                                "--explain", "gradcam", "--explain-layer", "_conv2_con"])
        #expect(typo.status != 0 && typo.stderr.split(separator: "\n").count == 1
                && typo.stderr.contains("--explain-layer: no layer '_conv2_con'; did you mean '_conv2_Conv'?"),
                "\(typo.stderr)")
        // The feature pictures do not depend on the photo: the same in both reports.
        #expect(try bytes(acts + "/red/features/_conv2_Conv/000.png")
                == bytes(acts + "/green/features/_conv2_Conv/000.png"))
    }

    @Test func badRequestsInOneLineWriteNothing() throws {
        let dir = try CLI.tempDir().appendingPathComponent("never").path
        let photo = CLI.image("fashion-boot.png")
        let cases: [([String], String)] = [
            (["--explain", "gradcam", "--explain-layer", "C33"], "no layer 'C33'; did you mean 'C3'?"),
            (["--explain-steps", "8"], "--explain-steps goes with --explain METHOD"),
            (["--explain", "saliency", "--explain-layer", "C3"], "--explain-layer goes with --explain gradcam"),
            (["--explain", "smoothgrad", "--explain-samples", "0"], "--explain-samples must be between 1 and 10000"),
            (["--explain", "gradcum"], "gradcum"),
            (["--visualize-steps", "8"], "--visualize-steps goes with --visualize"),
            (["--visualize", "--visualize-channels", "x"], "--visualize-channels 'x' is not a list of channels"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(["dump-activations", lenet, photo, "-o", dir] + args)
            #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message),
                    "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir))
        }
        let stdout = try CLI.run(["dump-activations", lenet, photo, "-o", "-", "--layers", "C1",
                                  "--explain", "gradcam"])
        #expect(stdout.status != 0 && stdout.stderr.contains("-o -: --explain and --visualize write files"))
        // A .npy of 4 different items (the residual fixture's batch): one line naming it, nothing written.
        let residual = CLI.repo.appendingPathComponent("Tests/NeuralNetTests/Fixtures/gradients/residual")
        let batch = residual.appendingPathComponent("input.npy").path
        let many = try CLI.run(["dump-activations", residual.appendingPathComponent("model.onnx").path,
                                "--input", batch, "-o", dir, "--explain", "saliency"])
        #expect(many.status != 0 && many.stderr.split(separator: "\n").count == 1
                && many.stderr.contains("\(batch): --explain explains one item, and it holds 4"), "\(many.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir))
        let kernels = try CLI.run(["dump-activations", "--kernel", "edge", photo, "-o", dir, "--explain", "gradcam"])
        #expect(kernels.status != 0 && kernels.stderr.contains("--explain needs a classifier"), "\(kernels.stderr)")
    }
}
