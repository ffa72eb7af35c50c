import Foundation
import XCTest
import ImageCodecs
import NeuralNet
import Tensors
@testable import Training

/// Whole runs on the tiny "shapes" set (scripts/make-training-fixtures.py:
/// bars, diagonals and rings, 400 training and 200 test images, IDX gzipped).
final class TrainingRunTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let shapes = fixtures + "/shapes"
    static let arch = """
        conv 8 3 pad=1
        relu
        maxpool 2
        conv 16 3 pad=same
        bn
        relu
        maxpool 2
        dropout 0.1
        linear classes
        """

    func temporary(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "cnnfilter-training-\(getpid())-\(name)"
        try? FileManager.default.removeItem(atPath: dir)
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func job(_ dir: String, epochs: Int = 4) throws -> TrainingJob {
        try Self.arch.write(toFile: dir + "/net.arch", atomically: true, encoding: .utf8)
        var job = TrainingJob(data: Self.shapes, architecture: dir + "/net.arch", output: dir + "/net.onnx")
        job.settings.epochs = epochs; job.settings.batchSize = 16; job.settings.seed = 5
        job.settings.optimizer.learningRate = 0.01
        return job
    }

    func train(_ job: TrainingJob) throws -> TrainingJob.Outcome {
        let (trainer, source, train, validation) = try job.prepare()
        return try job.run(trainer, source, train: train, validation: validation, onBatch: { _ in }, onEpoch: { _ in })
    }

    func testDataSetLoadsWithLabels() throws {
        let source = try DataSource.load(Self.shapes)
        XCTAssertEqual(source.train.count, 400)
        XCTAssertEqual(source.test?.count, 200)
        XCTAssertEqual(source.train.sampleShape, [1, 12, 12])
        XCTAssertEqual(source.train.classNames, ["horizontal", "vertical", "diagonal", "ring"])
        XCTAssertEqual(Set(source.train.labels), [0, 1, 2, 3])
        XCTAssertTrue(source.train.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    /// The loss falls, the accuracy rises far past chance (0.25), and the
    /// exported model, run by the inference runtime, agrees with the trainer.
    func testTrainingLearnsAndExports() throws {
        let dir = temporary("learn")
        let outcome = try train(try job(dir))
        let history = outcome.trainer.history
        XCTAssertEqual(history.count, 4)
        XCTAssertLessThan(history.last!.trainLoss, history.first!.trainLoss * 0.6)
        XCTAssertGreaterThan(history.last!.trainAccuracy, 0.9)
        let test = try XCTUnwrap(outcome.test)
        XCTAssertGreaterThan(test.accuracy, 0.9)

        let graph = try ONNXLoader.load(path: dir + "/net.onnx")
        XCTAssertEqual(graph.labels, ["horizontal", "vertical", "diagonal", "ring"])
        let data = try DataSource.load(Self.shapes).test!
        let evaluation = try Evaluation.run(graph, path: "net.onnx", data: data)
        XCTAssertEqual(evaluation.accuracy, test.accuracy, accuracy: 1e-6)
        XCTAssertEqual(evaluation.total, 200)
        let x = Tensor(shape: [8, 1, 12, 12], values: Array(data.pixels[0..<(8 * 144)]))
        let runtime = try ModelRunner(graph).run(["pixels": x])["logits"]!
        let own = try outcome.trainer.network.logits(x)
        XCTAssertLessThan(runtime.maxAbsDifference(own), 1e-4)

        let log = try String(contentsOfFile: dir + "/net.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.first.map(String.init), EpochRecord.csvHeader)
        XCTAssertEqual(log.count, 5)
    }

    /// Same seed, same weights; and stopping after 2 epochs then resuming
    /// from the checkpoint ends exactly where an uninterrupted run does.
    func testSeedReproducesAndResumeContinues() throws {
        let a = temporary("a"), b = temporary("b")
        var full = try job(a, epochs: 3)
        full.settings.augmentation = try Augmentation.parse("flip,rotate=10,translate=1")
        let uninterrupted = try train(full)

        var first = try job(b, epochs: 2)
        first.settings.augmentation = full.settings.augmentation
        _ = try train(first)
        var rest = try job(b, epochs: 3)
        rest.resume = true; rest.resumeEpochs = 3
        let resumed = try train(rest)
        XCTAssertEqual(resumed.trainer.history.count, 3)
        for (p, q) in zip(uninterrupted.trainer.network.parameters, resumed.trainer.network.parameters) {
            XCTAssertEqual(p.value, q.value, p.name)
        }
        let again = try train(try { var j = try job(temporary("c"), epochs: 3); j.settings.augmentation = full.settings.augmentation; return j }())
        XCTAssertEqual(again.trainer.network.parameters.map(\.value), uninterrupted.trainer.network.parameters.map(\.value))
    }

    /// Early stopping keeps the best validation epoch's weights.
    func testEarlyStoppingRestoresBestWeights() throws {
        let dir = temporary("early")
        var j = try job(dir, epochs: 30)
        j.settings.validationFraction = 0.25; j.settings.patience = 2
        j.settings.optimizer.learningRate = 0.05 // noisy, so the validation loss turns up soon
        let outcome = try train(j)
        let trainer = outcome.trainer
        XCTAssertEqual(outcome.validationCount, 100)
        let best = try XCTUnwrap(trainer.bestEpoch)
        let losses = trainer.history.compactMap(\.validationLoss)
        XCTAssertEqual(losses.indices.min { losses[$0] < losses[$1] }! + 1, best)
        if trainer.stoppedEarly { XCTAssertEqual(trainer.history.count, best + 2) }
        let validation = try DataSource.load(Self.shapes).train.split(validation: 0.25, seed: 5).validation
        XCTAssertEqual(try trainer.evaluate(validation).loss, losses[best - 1], accuracy: 1e-5)
    }

    func testOptimizersAndSchedules() throws {
        XCTAssertEqual(LearningRateSchedule.cosine.rate(0.1, epoch: 5, epochs: 10), 0.05, accuracy: 1e-7)
        XCTAssertEqual(try LearningRateSchedule.parse("step:2:0.5").rate(1, epoch: 5, epochs: 10), 0.25)
        XCTAssertThrowsError(try LearningRateSchedule.parse("linear"))
        // One SGD step with momentum and Nesterov by hand: w = 1, g = 0.5 + decay.
        let cases: [(OptimizerSettings.Rule, Float)] = [(.sgd, 0.94), (.momentum, 0.94), (.nesterov, 1 - 0.1 * 1.14)]
        for (rule, expected) in cases {
            var s = OptimizerSettings(); s.rule = rule; s.weightDecay = 0.1
            let p = Parameter(name: "w", shape: [1], value: [1]); p.grad = [0.5]
            Optimizer(s, parameters: [p]).step([p], rate: 0.1)
            XCTAssertEqual(p.value[0], expected, accuracy: 1e-6, "\(rule)")
        }
        // Adam's first step moves each weight by the learning rate (bias-corrected m/√v = ±1).
        var s = OptimizerSettings(); s.rule = .adam
        let p = Parameter(name: "w", shape: [2], value: [1, 1]); p.grad = [0.3, -7]
        Optimizer(s, parameters: [p]).step([p], rate: 0.01)
        XCTAssertEqual(p.value[0], 0.99, accuracy: 1e-6); XCTAssertEqual(p.value[1], 1.01, accuracy: 1e-6)
        // AdamW decays the weight itself: w(1 − lr·λ) then the Adam step.
        s.rule = .adamw; s.weightDecay = 0.5
        let q = Parameter(name: "w", shape: [1], value: [2]); q.grad = [1]
        Optimizer(s, parameters: [q]).step([q], rate: 0.1)
        XCTAssertEqual(q.value[0], 2 * (1 - 0.05) - 0.1, accuracy: 1e-6)
    }

    func testIDXErrorsNameTheFile() {
        for (file, expected) in [("truncated.gz", "truncated or corrupt"), ("magic.idx", "bad magic"), ("short.idx", "holds 17"),
                                 ("huge.idx", "absurd"), ("float.idx", "not supported")] {
            XCTAssertThrowsError(try IDXFile.read(Self.fixtures + "/bad-idx/" + file)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(file) && text.contains(expected), text)
            }
        }
    }

    func testAugmentationGeometry() throws {
        // A horizontal flip mirrors exactly; rotate by 0 and no shift is the identity.
        var a = Augmentation(); a.horizontalFlip = true
        let src: [Float] = [1, 2, 3, 4, 5, 6]
        var out = [Float](repeating: 0, count: 6)
        var flipped = false
        for seed in 0..<8 where !flipped {
            var rng = RandomSource(seed: UInt64(seed))
            src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { o in a.apply(s.baseAddress!, to: o.baseAddress!, channels: 1, height: 2, width: 3, rng: &rng) } }
            if out != src { XCTAssertEqual(out, [3, 2, 1, 6, 5, 4]); flipped = true }
        }
        XCTAssertTrue(flipped)
        // A shift by whole pixels moves values and fills with zeros.
        var t = Augmentation(); t.translation = 1
        var moved = false
        for seed in 0..<16 {
            var rng = RandomSource(seed: UInt64(seed))
            src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { o in t.apply(s.baseAddress!, to: o.baseAddress!, channels: 1, height: 2, width: 3, rng: &rng) } }
            XCTAssertTrue(out.allSatisfy { $0 == 0 || src.contains($0) })
            if out != src { moved = true }
        }
        XCTAssertTrue(moved)
        XCTAssertThrowsError(try Augmentation.parse("spin=3"))
        XCTAssertEqual(try Augmentation.parse("flip,zoom=0.1").summary, "flip,zoom=0.1")
    }
}

/// Image folders, fine-tuning an exported model, and kernel banks.
final class TrainingInputsTests: XCTestCase {
    func temporary(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "cnnfilter-inputs-\(getpid())-\(name)"
        try? FileManager.default.removeItem(atPath: dir)
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// DIR/train/<class>/*.png: classes alphabetical, sizes and channels conformed to the first image.
    func testImageFolders() throws {
        let dir = temporary("folders")
        var rng = RandomSource(seed: 9)
        for (split, count) in [("train", 12), ("test", 4)] {
            for cls in ["dark", "bright"] {
                try FileManager.default.createDirectory(atPath: "\(dir)/\(split)/\(cls)", withIntermediateDirectories: true)
                for i in 0..<count {
                    // Bright images are 8×8 grey, dark ones 10×10 RGB: the loader conforms them.
                    let (size, channels) = cls == "bright" ? (8, 1) : (10, 3)
                    let image = RasterImage(width: size, height: size, channels: channels, bitDepth: 8, hasAlpha: false)
                    for y in 0..<size {
                        let row = image.rowPointer(y).assumingMemoryBound(to: UInt8.self)
                        for x in 0..<(size * channels) { row[x] = UInt8(cls == "bright" ? 180 + Int(rng.unit() * 70) : Int(rng.unit() * 70)) }
                    }
                    try ImageWriter.write(image, format: .png, to: "\(dir)/\(split)/\(cls)/\(i).png")
                }
            }
        }
        let source = try DataSource.load(dir)
        XCTAssertEqual(source.train.classNames, ["bright", "dark"])
        XCTAssertEqual(source.train.count, 24); XCTAssertEqual(source.test?.count, 8)
        XCTAssertEqual(source.train.sampleShape, [1, 8, 8]) // the first image: bright/0.png
        let darkMean = source.train.subset(source.train.labels.indices.filter { source.train.labels[$0] == 1 }).pixels.reduce(0, +) / Float(12 * 64)
        XCTAssertLessThan(darkMean, 0.15)
        var job = TrainingJob(data: dir, architecture: temporary("arch") + "/a.arch", output: temporary("out") + "/m.onnx")
        try "conv 4 3\nrelu\nlinear classes\n".write(toFile: job.architecture, atomically: true, encoding: .utf8)
        job.settings.epochs = 3; job.settings.batchSize = 4; job.settings.optimizer.learningRate = 0.01
        let (trainer, data, train, validation) = try job.prepare()
        let outcome = try job.run(trainer, data, train: train, validation: validation, onBatch: { _ in }, onEpoch: { _ in })
        XCTAssertEqual(outcome.test?.accuracy, 1)
    }

    /// An exported model imported for fine-tuning computes what the original did.
    func testExportedModelImportsForFineTuning() throws {
        let arch = try Architecture.parse("standardize mean=0.3 std=0.2\nconv 4 3 pad=1 stride=2\nbn\nleakyrelu 0.1\navgpool 2\ndropout 0.2\nlinear 6\ntanh\nlinear classes\n", source: "t")
        let net = try arch.build(input: [1, 12, 12], classes: 3, labels: ["a", "b", "c"], seed: 4)
        // Move batch norm's running statistics away from 0 and 1 so that they matter.
        let bnName = net.names.first { $0.hasPrefix("bn") }!
        net.parameters.first { $0.name == "\(bnName).running_mean" }!.value = [0.1, -0.2, 0.3, 0]
        net.parameters.first { $0.name == "\(bnName).running_var" }!.value = [0.5, 2, 1, 0.25]
        let path = temporary("import") + "/m.onnx"
        try ModelExport.write(net, to: path)
        let graph = try ONNXLoader.load(path: path)
        let imported = try Network.read(path)
        XCTAssertEqual(imported.labels, ["a", "b", "c"])
        XCTAssertEqual(imported.trainableCount, net.trainableCount)
        var rng = RandomSource(seed: 1)
        let x = Tensor(shape: [3, 1, 12, 12], values: (0..<432).map { _ in rng.unit() })
        XCTAssertLessThan(try imported.logits(x).maxAbsDifference(try net.logits(x)), 1e-5)
        XCTAssertLessThan(try ModelRunner(graph).run(["pixels": x])["logits"]!.maxAbsDifference(try net.logits(x)),
                          1e-4)
    }

    /// A bank of two 3×3 filters across three channels, recovered from one image pair.
    func testKernelBankRecovery() throws {
        var rng = RandomSource(seed: 12)
        // Noise: every patch direction occurs, so the weights themselves are determined
        // (the photo test in the CLI tests covers badly conditioned images).
        let (h, w) = (40, 48)
        let input = Tensor(shape: [3, h, w], values: (0..<(3 * h * w)).map { _ in rng.unit() })
        let hidden = (0..<2).map { _ in (0..<27).map { _ in rng.uniform(-0.5, 0.5) } }
        let biases: [Float] = [0.1, -0.05]
        // The target by a direct loop (valid region, interior size).
        var target = Tensor(shape: [2, h - 2, w - 2])
        for f in 0..<2 { for y in 0..<(h - 2) { for x in 0..<(w - 2) {
            var s = biases[f]
            for c in 0..<3 { for ky in 0..<3 { for kx in 0..<3 { s += hidden[f][(c * 3 + ky) * 3 + kx] * input[c, y + ky, x + kx] } } }
            target[f, y, x] = s
        } } }
        var fitting = KernelFitting(size: (3, 3), bank: 2)
        fitting.steps = 20000
        let result = try fitting.fit([.init(input: input, target: target, name: "pair")], every: 100_000) { _ in }
        for f in 0..<2 {
            let learned = result.kernel.filters[f]
            XCTAssertEqual(learned.bias, biases[f], accuracy: 2e-3)
            XCTAssertEqual(learned.slices.flatMap { $0.flatMap { $0 } }, hidden[f], accuracy: 2e-3)
        }
        XCTAssertThrowsError(try fitting.fit([.init(input: input, target: Tensor(shape: [3, h - 2, w - 2]), name: "wrong")], every: 1) { _ in }) {
            XCTAssertTrue("\($0)".contains("expected 2"), "\($0)")
        }
    }
}

func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}

/// The exporter against onnxruntime (scripts/make-training-fixtures.py): a
/// model with every exported layer kind, onnxruntime's logits as the reference.
final class ExportFixtureTests: XCTestCase {
    func testOnnxruntimeAgreesWithRuntimeAndTrainer() throws {
        let dir = TrainingRunTests.fixtures + "/export/"
        let graph = try ONNXLoader.load(path: dir + "every-layer.onnx")
        let x = try NPYCodec.decode(try ImageReader.readBytes(dir + "every-layer.input.npy"), path: "x", imageShape: false)
        let reference = try NPYCodec.decode(try ImageReader.readBytes(dir + "every-layer.ort-logits.npy"), path: "y", imageShape: false)
        let scale = reference.storage.map(abs).max()!
        let runtime = try ModelRunner(graph).run(["pixels": x])["logits"]!
        XCTAssertLessThan(runtime.maxAbsDifference(reference) / scale, 1e-4)
        let trainer = try Network.read(dir + "every-layer.onnx")
        XCTAssertLessThan(try trainer.logits(x).maxAbsDifference(reference) / scale, 1e-4)
        XCTAssertEqual(graph.nodes.map(\.opType).filter { $0 == "Conv" }.count, 3)
    }
}
