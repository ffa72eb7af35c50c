import Foundation
import ImageCodecs
import Testing

/// `-o -` puts one picture on standard output: dump-activations one layer's, show-filters the filters.
@Suite struct StandardOutputCLITests {
    let model = CLI.repo.appendingPathComponent("models/lenet5-fashion.onnx").path
    let photo = CLI.image("fashion-boot.png")

    @Test func dumpActivationsWritesOneLayersPictureToStandardOutput() throws {
        let dir = try CLI.tempDir()
        for layer in ["c3", "F6", "output"] {
            let r = try CLI.run(["dump-activations", model, photo, "-o", "-", "--layers", layer], cwd: dir)
            #expect(r.status == 0, "\(r.stderr)")
            // The same picture as DIR/NAME.png of a directory run.
            let acts = dir.appendingPathComponent("acts-\(layer)").path
            let d = try CLI.run(["dump-activations", model, photo, "-o", acts, "--layers", layer])
            #expect(d.status == 0, "\(d.stderr)")
            let name = layer == "c3" ? "C3" : layer
            #expect(r.stdout == (try Data(contentsOf: URL(fileURLWithPath: acts + "/" + name + ".png"))), "\(layer)")
            #expect(r.stdout.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        }
        // C3's 16 maps of 10×10 as a contact sheet.
        let c3 = try CLI.run(["dump-activations", model, photo, "-o", "-", "--layers", "c3"], cwd: dir)
        #expect(c3.stderr == "cnnfilter: C3 1×16×10×10 to standard output\n")
        // No directory named "-".
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("-").path))
    }

    @Test func aKernelBankHasOneLayerSoNeedsNoName() throws {
        let r = try CLI.run(["dump-activations", "--kernel", "edge", "--kernel", "sobel-x", CLI.image("step.png"),
                             "-o", "-"])
        #expect(r.status == 0, "\(r.stderr)")
        guard case .raster(let img)? = try? ImageReader.decode([UInt8](r.stdout), path: "-") else {
            Issue.record("no PNG on standard output"); return
        }
        #expect(img.width > 0 && img.height > 0)
    }

    @Test func moreOrFewerThanOneLayerIsAnError() throws {
        let dir = try CLI.tempDir()
        let cases: [([String], String)] = [
            (["--layers", "conv"], "cnnfilter: -o -: standard output takes one layer's picture; name one with --layers "
                + "(3: C1, C3, C5)\n"),
            ([], "cnnfilter: -o -: standard output takes one layer's picture; name one with --layers\n"),
            (["--layers", "c1", "--npy"], "cnnfilter: -o -: --npy writes files; give a directory\n"),
        ]
        for (extra, want) in cases {
            let r = try CLI.run(["dump-activations", model, photo, "-o", "-"] + extra, cwd: dir)
            #expect(r.status == 1 && r.stdout.isEmpty && r.stderr == want, "\(extra): \(r.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func showFiltersWritesToStandardOutput() throws {
        let file = try CLI.tempDir().appendingPathComponent("f.png").path
        let f = try CLI.run(["show-filters", model, "--layer", "c3", "-o", file])
        let r = try CLI.run(["show-filters", model, "--layer", "c3", "-o", "-"])
        #expect(f.status == 0 && r.status == 0, "\(r.stderr)")
        #expect(r.stdout == (try Data(contentsOf: URL(fileURLWithPath: file))))
        #expect(r.stderr == "cnnfilter: C3: 16×6×5×5 weights drawn to standard output\n")
    }
}
