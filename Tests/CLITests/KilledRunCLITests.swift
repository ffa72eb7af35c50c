import Foundation
import Testing

/// SIGKILL in the middle of a write (the binary stops itself once a temporary file is complete and not yet
/// renamed, `CNNFILTER_STOP_BEFORE_RENAME`): the previous file is intact, and the next run leaves no
/// temporary file behind.
@Suite struct KilledRunCLITests {
    let shapes = CLI.repo.appendingPathComponent("Tests/TrainingTests/Fixtures/shapes").path

    /// Runs cnnfilter until it stops itself writing `name`, then kills it.
    func killWhileWriting(_ name: String, _ args: [String]) throws {
        #expect(try CLI.killWhenStopped(args, env: ["CNNFILTER_STOP_BEFORE_RENAME": name]),
                "the run ended before it was killed")
    }

    func hidden(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix(".") }.sorted()
    }

    @Test func anImageKilledWhileWrittenKeepsThePreviousOne() throws {
        let dir = try CLI.tempDir(), out = dir.appendingPathComponent("cat.png").path
        let first = try CLI.run(["images/chelsea.png", "--kernel", "sharpen", "-o", out])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        try killWhileWriting("cat.png", ["images/chelsea.png", "--kernel", "emboss", "-o", out])
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before)
        #expect(hidden(dir).count == 1, "the killed run's temporary file: \(hidden(dir))")
        let again = try CLI.run(["images/chelsea.png", "--kernel", "emboss", "-o", out])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("removed 1 temporary files a killed run left"), "\(again.stderr)")
        #expect(hidden(dir).isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) != before)
    }

    @Test func aCheckpointKilledWhileWrittenResumesFromTheLastWholeOne() throws {
        let dir = try CLI.tempDir()
        let archFile = dir.appendingPathComponent("net.arch").path, model = dir.appendingPathComponent("net.onnx").path
        try "conv 4 3 pad=1\nrelu\nmaxpool 2\nlinear classes\n"
            .write(toFile: archFile, atomically: true, encoding: .utf8)
        let first = try CLI.run(["train", "--data", shapes, "--arch", archFile, "--epochs", "2", "-o", model])
        #expect(first.status == 0, "\(first.stderr)")
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: model + ".ckpt"))
        // Epoch 3's checkpoint is complete in its temporary file when the kill lands.
        try killWhileWriting("net.onnx.ckpt", ["train", "--data", shapes, "--epochs", "4", "-o", model, "--resume"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: model + ".ckpt")) == checkpoint)
        let resumed = try CLI.run(["train", "--data", shapes, "--epochs", "4", "-o", model, "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming after epoch 2 of 4"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("epoch 4/4"), "\(resumed.stderr)")
        #expect(hidden(dir).isEmpty, "\(hidden(dir))")
    }

    @Test func aReportKilledWhileWrittenKeepsThePreviousPage() throws {
        let dir = try CLI.tempDir(), report = dir.appendingPathComponent("report").path
        let model = "models/lenet5-fashion.onnx"
        let first = try CLI.run(["dump-activations", model, "images/fashion-boot.png", "-o", report])
        #expect(first.status == 0, "\(first.stderr)")
        let page = try Data(contentsOf: URL(fileURLWithPath: report + "/index.html"))
        try killWhileWriting("index.html", ["dump-activations", model, "images/chelsea.png", "-o", report])
        #expect(try Data(contentsOf: URL(fileURLWithPath: report + "/index.html")) == page)
        #expect(hidden(dir).count == 1, "the killed run's directory: \(hidden(dir))")
        let again = try CLI.run(["dump-activations", model, "images/chelsea.png", "-o", report])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(hidden(dir).isEmpty, "\(hidden(dir))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: report + "/index.html")) != page)
    }
}
