import Foundation
import ImageCodecs
import NeuralNet
import Testing

/// `train --resume` against the checkpoint's options, Ctrl-C during `train`, and class names where an
/// image folder meets a model, as a user meets them.
@Suite struct TrainingResumeCLITests {
    let shapes = CLI.repo.appendingPathComponent("Tests/TrainingTests/Fixtures/shapes").path
    let arch = "conv 4 3 pad=1\nrelu\nmaxpool 2\nlinear classes\n"

    @Test func resumeRefusesAChangedOptionNamingIt() throws {
        let dir = try CLI.tempDir()
        let archFile = dir.appendingPathComponent("net.arch").path, model = dir.appendingPathComponent("net.onnx").path
        try arch.write(toFile: archFile, atomically: true, encoding: .utf8)
        let first = try CLI.run(["train", "--data", shapes, "--arch", archFile, "--epochs", "1", "--lr", "0.01",
                                 "-o", model])
        #expect(first.status == 0, "\(first.stderr)")
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: model + ".ckpt"))
        let r = try CLI.run(["train", "--data", shapes, "--arch", archFile, "--epochs", "2", "--lr", "0.001",
                             "--seed", "1",
                             "-o", model, "--resume"])
        #expect(r.status == 1)
        #expect(r.text.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("cnnfilter: \(model).ckpt: --lr 0.001 differs from the checkpoint's 0.01"),
                "\(r.stderr)")
        #expect(!r.stderr.contains("--seed"), "\(r.stderr)") // given, but the same as the checkpoint's
        #expect(try Data(contentsOf: URL(fileURLWithPath: model + ".ckpt")) == checkpoint)
        // Other data under the same options is refused too.
        let other = try CLI.tempDir()
        for f in try FileManager.default.contentsOfDirectory(atPath: shapes) where f != "labels.txt" {
            try FileManager.default.copyItem(atPath: shapes + "/" + f, toPath: other.appendingPathComponent(f).path)
        }
        let d = try CLI.run(["train", "--data", other.path, "--epochs", "2", "--limit", "100", "-o", model, "--resume"])
        #expect(d.status == 1 && d.stderr.contains("--data \(other.path) differs from the checkpoint's \(shapes)")
                && d.stderr.contains("--limit 100 differs from the checkpoint's none"), "\(d.stderr)")
        // Leaving options out takes the checkpoint's; --epochs may change.
        let ok = try CLI.run(["train", "--data", shapes, "--epochs", "2", "--lr", "0.01", "-o", model, "--resume"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stderr.contains("adam lr 0.01") && ok.stderr.contains("resuming after epoch 1 of 2"), "\(ok.stderr)")
        let help = try CLI.run(["train", "--help"])
        let changeable = "--epochs, -o/--output, --checkpoint, --log, --plot, --profile"
        #expect(help.text.contains("Only these may change on --resume:\n  " + changeable),
                "\(help.text)")
    }

    /// SIGINT after the first epoch: the model of the last finished epoch, the checkpoint of that epoch, one
    /// line with the command to continue, status 130; that command continues.
    @Test func ctrlCKeepsTheLastFinishedEpoch() throws {
        let dir = try CLI.tempDir()
        let archFile = dir.appendingPathComponent("net.arch").path, model = dir.appendingPathComponent("net.onnx").path
        try arch.write(toFile: archFile, atomically: true, encoding: .utf8)
        let args = ["train", "--data", shapes, "--arch", archFile, "--epochs", "1000", "--batch-size", "16",
                    "-o", model]
        let (status, stderr) = try runInterrupted(args, after: "epoch 1/1000")
        #expect(status == 130, "\(stderr)")
        let lines = stderr.split(separator: "\n").map(String.init)
        let last = lines.last ?? ""
        // The epochs finished are the lines printed; the message names the last of them.
        let finished = lines.filter { $0.hasPrefix("epoch ") }.count
        #expect(finished >= 1)
        let command = ([CLI.binary.path] + args + ["--resume"]).joined(separator: " ")
        #expect(last == "interrupted: \(model).ckpt holds epoch \(finished) of 1000 and \(model) its model; "
                + "continue with: \(command)",
                "\(last)")
        // The log and the checkpoint hold that epoch; the model is the checkpoint's network.
        let log = try String(contentsOfFile: dir.appendingPathComponent("net.csv").path, encoding: .utf8)
        #expect(log.split(separator: "\n").count == finished + 1)
        let ckpt = try Data(contentsOf: URL(fileURLWithPath: model + ".ckpt"))
        let json = try JSONSerialization.jsonObject(with: ckpt) as! [String: Any]
        #expect(json["nextEpoch"] as? Int == finished)
        let bytes = Data(base64Encoded: json["model"] as! String)!
        let stored = try ONNXLoader.load(bytes: bytes, source: "ckpt", directory: ".").graph
        let written = try ONNXLoader.load(path: model)
        #expect(!written.initializers.isEmpty)
        #expect(written.initializers.keys.sorted() == stored.initializers.keys.sorted())
        for (name, value) in written.initializers {
            #expect(value.storage == stored.initializers[name]!.storage, "\(name)")
        }
        // The printed command (with fewer epochs) continues from there.
        var more = args + ["--resume"]
        more[more.firstIndex(of: "1000")!] = String(finished + 1)
        let r = try CLI.run(more)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("resuming after epoch \(finished) of \(finished + 1)"), "\(r.stderr)")
    }

    /// Runs cnnfilter, sends it SIGINT once `marker` appears on stderr, and waits.
    func runInterrupted(_ args: [String], after marker: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = args
        p.currentDirectoryURL = CLI.repo
        let err = Pipe(), out = Pipe()
        p.standardError = err; p.standardOutput = out
        final class Buffer: @unchecked Sendable {
            let lock = NSLock(); var data = Data(); var sent = false
        }
        let buffer = Buffer()
        let seen = DispatchSemaphore(value: 0)
        err.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            buffer.lock.lock(); defer { buffer.lock.unlock() }
            buffer.data.append(chunk)
            if !buffer.sent, String(decoding: buffer.data, as: UTF8.self).contains(marker) {
                buffer.sent = true
                seen.signal()
            }
        }
        try p.run()
        let pid = p.processIdentifier
        if seen.wait(timeout: .now() + 300) == .success { kill(pid, SIGINT) } else { kill(pid, SIGKILL) }
        p.waitUntilExit()
        err.fileHandleForReading.readabilityHandler = nil
        let rest = err.fileHandleForReading.readDataToEndOfFile()
        buffer.lock.lock(); defer { buffer.lock.unlock() }
        buffer.data.append(rest)
        return (p.terminationStatus, String(decoding: buffer.data, as: UTF8.self))
    }

    /// A folder the model has no class for: one line listing both sets, nothing on stdout.
    @Test func evalRefusesFoldersThatMatchNoClass() throws {
        let dir = try CLI.tempDir()
        for folder in ["Trousers", "Bag", "T-shirt-top"] {
            let path = dir.appendingPathComponent("test/\(folder)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let blank = RasterImage(width: 28, height: 28, channels: 1, bitDepth: 8, hasAlpha: false)
            try ImageWriter.write(blank, format: .png, to: path + "/0.png")
        }
        let model = CLI.repo.appendingPathComponent("models/lenet5-fashion.onnx").path
        let r = try CLI.run(["eval", model, "--data", dir.path])
        #expect(r.status == 1 && r.text.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("cnnfilter: \(model): \(dir.path)'s classes 'Trousers' are not among the model's"),
                "\(r.stderr)")
        #expect(r.stderr.contains("'T-shirt/top', 'Trouser', 'Pullover'")
                && r.stderr.contains("'Bag', 'T-shirt-top', 'Trousers'"),
                "\(r.stderr)")
    }
}
