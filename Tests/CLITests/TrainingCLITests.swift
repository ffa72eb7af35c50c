import Foundation
import ImageCodecs
import NeuralNet
import Testing
import Tensors

/// train, eval and train-kernel as a user runs them, on the tiny numpy-made
/// "shapes" set (scripts/make-training-fixtures.py) and the bundled photos.
@Suite struct TrainingCLITests {
    let shapes = CLI.repo.appendingPathComponent("Tests/TrainingTests/Fixtures/shapes").path
    let arch = "conv 8 3 pad=1\nrelu\nmaxpool 2\nconv 16 3 pad=1 name=features\nbn\nrelu\nmaxpool 2\nlinear classes\n"

    @Test func trainEvaluateAndLookInside() throws {
        let dir = try CLI.tempDir()
        let archFile = dir.appendingPathComponent("net.arch").path
        try arch.write(toFile: archFile, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("net.onnx").path
        let r = try CLI.run(["train", "--data", shapes, "--arch", archFile, "--epochs", "3", "--batch-size", "16", "--lr", "0.01",
                             "--seed", "3", "-o", model, "--plot", dir.appendingPathComponent("curves.png").path])
        #expect(r.status == 0, "\(r.stderr)")
        // stdout: only the result line; progress and notes on stderr.
        let line = r.text.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasPrefix("test accuracy ") && line.contains("(200 images)"), "\(line)")
        let accuracy = Double(line.split(separator: " ")[2]) ?? 0
        #expect(accuracy > 0.85, "\(line)")
        #expect(r.stderr.contains("epoch 3/3"))
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(files.isSuperset(of: ["net.onnx", "net.csv", "net.onnx.ckpt", "curves.png"]))
        #expect(try String(contentsOfFile: dir.appendingPathComponent("net.csv").path, encoding: .utf8).split(separator: "\n").count == 4)

        // eval agrees with train's own test accuracy, with labels from the model.
        let e = try CLI.run(["eval", model, "--data", shapes, "--plot", dir.appendingPathComponent("confusion.png").path])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.text.hasPrefix(String(format: "accuracy %.4f", accuracy)), "\(e.text)")
        #expect(e.text.contains("ring") && e.text.contains("confusion matrix"))
        guard case .raster(let plot) = try ImageReader.read(path: dir.appendingPathComponent("confusion.png").path) else { Issue.record("no plot"); return }
        #expect(plot.width > 100 && plot.height > 100)

        // The trained model is a model like any other: dump its activations.
        let dump = dir.appendingPathComponent("acts").path
        let d = try CLI.run(["dump-activations", model, CLI.image("step.png"), "-o", dump, "--layers", "features"])
        #expect(d.status == 0, "\(d.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dump + "/features").count == 16)

        // Resume with more epochs continues the log.
        let more = try CLI.run(["train", "--data", shapes, "--arch", archFile, "--epochs", "4", "-o", model, "--resume"])
        #expect(more.status == 0, "\(more.stderr)")
        #expect(more.stderr.contains("resuming after epoch 3 of 4") && more.stderr.contains("epoch 4/4") && !more.stderr.contains("epoch 1/4"))
        #expect(try String(contentsOfFile: dir.appendingPathComponent("net.csv").path, encoding: .utf8).split(separator: "\n").count == 5)
    }

    /// A residual network in the architecture text: from= starts a branch, add joins it back.
    /// Padding that blows the planes up asks for a huge linear layer: refused at its line, before any weight is drawn.
    @Test func anArchitecturePastTheMemoryBudgetIsRefused() throws {
        let dir = try CLI.tempDir()
        let archFile = dir.appendingPathComponent("huge.arch").path, model = dir.appendingPathComponent("x.onnx").path
        try "conv 8 3 pad=300\nconv 8 3 pad=300\nconv 8 3 pad=300\nlinear classes\n"
            .write(toFile: archFile, atomically: true, encoding: .utf8)
        let r = try CLI.run(["train", "--data", shapes, "--arch", archFile, "-o", model],
                            env: ["CNNFILTER_MAX_MEMORY_MB": "256"])
        #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("cnnfilter: \(archFile):4: 'linear classes': fc1.weight of shape 4×26093088 "
                                   + "needs 398 MiB, over the 256 MiB limit"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: model))
    }

    @Test func architectureWithSkipConnectionsTrains() throws {
        let dir = try CLI.tempDir()
        let archFile = dir.appendingPathComponent("res.arch").path
        try """
            conv 8 3 pad=1 name=stem
            bn
            relu name=block_in
            conv 8 3 pad=1
            bn
            relu
            conv 8 3 pad=1
            bn name=block_out
            add block_in
            relu name=residual
            conv 4 1 from=block_in name=side
            concat residual
            globalavgpool
            linear classes
            """.write(toFile: archFile, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("res.onnx").path
        let r = try CLI.run(["train", "--data", shapes, "--arch", archFile, "--epochs", "4",
                             "--batch-size", "16", "--lr", "0.01",
                             "--seed", "2", "-o", model])
        #expect(r.status == 0, "\(r.stderr)")
        let line = r.text.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Double(line.split(separator: " ").dropFirst(2).first ?? "") ?? 0) > 0.8, "\(line)")
        // The export is the graph: its Add and Concat nodes, run by the inference runtime.
        let info = try CLI.run(["info", model])
        #expect(info.status == 0 && info.text.contains("Add") && info.text.contains("Concat"), "\(info.text)")
        let e = try CLI.run(["eval", model, "--data", shapes])
        #expect(e.status == 0 && e.text.hasPrefix("accuracy \(line.split(separator: " ")[2])"), "\(e.text)")
        // A branch from a layer that does not exist is one line naming the line.
        try "conv 8 3\nconv 4 1 from=nowhere\nlinear classes\n".write(toFile: archFile,
                                                                      atomically: true, encoding: .utf8)
        let bad = try CLI.run(["train", "--data", shapes, "--arch", archFile,
                               "-o", dir.appendingPathComponent("x.onnx").path])
        #expect(bad.status != 0 &&
                bad.stderr.contains("res.arch:2: 'conv 4 1 from=nowhere': from=nowhere names no earlier layer"),
                "\(bad.stderr)")
    }

    /// Fine-tuning needs a backward pass through every node between the weights and the output.
    @Test func aModelWithAnOperatorWithoutBackwardIsRefused() throws {
        let dir = try CLI.tempDir()
        // 1×12×12 pixels → Conv (4 filters) → LRN → global pool → 4 logits, for the four shape classes.
        let graph = Graph(nodes: [Node(name: "conv", opType: "Conv", inputs: ["pixels", "w"], outputs: ["c"]),
                                  Node(name: "norm", opType: "LRN", inputs: ["c"], outputs: ["n"],
                                       attributes: ["size": .int(3)]),
                                  Node(name: "pool", opType: "GlobalAveragePool", inputs: ["n"], outputs: ["p"]),
                                  Node(name: "flat", opType: "Flatten", inputs: ["p"], outputs: ["logits"])],
                          initializers: ["w": Tensor(shape: [4, 1, 3, 3], repeating: 0.1)],
                          inputs: [ValueInfo(name: "pixels", shape: [nil, 1, 12, 12])], outputs: ["logits"], opset: 13)
        let path = dir.appendingPathComponent("lrn.onnx").path
        try OutputFile.write(path, bytes: try ONNXWriter.bytes(ONNXWriter.model(graph)))
        let r = try CLI.run(["train", "--data", shapes, "--arch", path,
                             "-o", dir.appendingPathComponent("m.onnx").path])
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1
                && r.stderr.contains("lrn.onnx: node 'norm' (LRN) has no backward pass"),
                "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["lrn.onnx"])
    }

    @Test func badArchitectureIsOneLineAndWritesNothing() throws {
        let dir = try CLI.tempDir()
        let archFile = dir.appendingPathComponent("bad.arch").path
        try "conv 8 3\nrelu\nmaxpol 2\nlinear classes\n".write(toFile: archFile, atomically: true, encoding: .utf8)
        let r = try CLI.run(["train", "--data", shapes, "--arch", archFile, "-o", dir.appendingPathComponent("m.onnx").path])
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("bad.arch:3: unknown layer 'maxpol'"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["bad.arch"])
        let missing = try CLI.run(["train", "--data", dir.path, "-o", dir.appendingPathComponent("m.onnx").path])
        #expect(missing.status != 0 && missing.stderr.contains("neither IDX files"), "\(missing.stderr)")
        // train-kernel with a target of the wrong size: one line naming the pair, no kernel, no snapshot folder.
        let k = try CLI.run(["train-kernel", "--input", CLI.image("step.png"), "--target", CLI.image("testcard.png"), "--size", "3",
                             "--snapshots", dir.appendingPathComponent("steps").path, "-o", dir.appendingPathComponent("k.kernel").path])
        #expect(k.status != 0)
        #expect(k.stderr.split(separator: "\n").count == 1 && k.stderr.contains("step.png") && k.stderr.contains("the target is 192×256"), "\(k.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["bad.arch"])
    }

    /// The issue's check: a hidden 5×5 kernel learned from one photo pair
    /// reproduces the hidden kernel's output on another photo within 0.01.
    @Test func trainKernelRecoversAHiddenKernel() throws {
        let dir = try CLI.tempDir()
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let hidden = "0 0.1 0 -0.1 0; 0.05 0.2 -0.3 0.1 0; 0 -0.2 0.5 -0.2 0; 0 0.1 -0.3 0.2 0.05; 0 -0.1 0 0.1 0"
        for (photo, target) in [("testcard.png", "a.npy"), ("step.png", "b.npy")] {
            let r = try CLI.run([CLI.image(photo), "--kernel", hidden, "--grayscale", "-o", p(target)])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let gray = try CLI.run([CLI.image("testcard.png"), "--kernel", "identity", "--grayscale", "-o", p("a-in.npy")])
        #expect(gray.status == 0, "\(gray.stderr)")
        let t = try CLI.run(["train-kernel", "--input", p("a-in.npy"), "--target", p("a.npy"), "--size", "5", "--steps", "3000",
                             "--snapshots", p("steps"), "-o", p("learned.kernel")])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: p("steps")).contains("step-003000.png"))
        let b = try CLI.run([CLI.image("step.png"), "--kernel", p("learned.kernel"), "--grayscale", "-o", p("b-learned.npy")])
        #expect(b.status == 0, "\(b.stderr)")
        let want = try NPYCodec.decode(try ImageReader.readBytes(p("b.npy")), path: "b", imageShape: false)
        let got = try NPYCodec.decode(try ImageReader.readBytes(p("b-learned.npy")), path: "b", imageShape: false)
        #expect(got.maxAbsDifference(want) < 0.01)
    }
}
