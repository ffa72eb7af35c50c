import Foundation
import XCTest
import ImageCodecs
import NeuralNet
import Tensors
@testable import Training

/// Where an image folder meets a model, classes meet by name: a model whose classes are not in
/// alphabetical order scores its own images perfectly, and a folder name it does not know is refused.
final class ClassMatchingTests: XCTestCase {
    /// The model's classes in its output order: neither alphabetical nor folder-safe ("apple/pie").
    static let modelClasses = ["zebra", "apple/pie", "mango"]
    /// The folder each class's images go in, written out by hand.
    static let folders = ["zebra": "zebra", "apple/pie": "apple-pie", "mango": "mango"]

    func temporary(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "cnnfilter-classes-\(getpid())-\(name)"
        try? FileManager.default.removeItem(atPath: dir)
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// 4×4 grey images, 3 per class, whose row `output` is bright: the model below gives output `output` the
    /// highest score for them.
    func writeImages(_ dir: String, split: String, count: Int = 3, extra: [String] = []) throws {
        for (output, name) in Self.modelClasses.enumerated() {
            try writeClass("\(dir)/\(split)/\(Self.folders[name]!)", brightRow: output, count: count)
        }
        for folder in extra { try writeClass("\(dir)/\(split)/\(folder)", brightRow: 3, count: count) }
    }

    func writeClass(_ folder: String, brightRow: Int, count: Int) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for i in 0..<count {
            let image = RasterImage(width: 4, height: 4, channels: 1, bitDepth: 8, hasAlpha: false)
            for y in 0..<4 {
                let row = image.rowPointer(y).assumingMemoryBound(to: UInt8.self)
                for x in 0..<4 { row[x] = y == brightRow ? UInt8(200 + 10 * i) : UInt8(10 * i) }
            }
            try ImageWriter.write(image, format: .png, to: "\(folder)/\(i).png")
        }
    }

    /// pixels 1×1×4×4 → Flatten → Gemm: output j is the sum of row j (rows 0…2), labels in the metadata.
    func writeModel(_ path: String, labels: [String]? = modelClasses) throws {
        let w = Tensor(shape: [3, 16], values: (0..<48).map { i in i / 16 == (i % 16) / 4 ? 1 : 0 })
        var graph = Graph(nodes: [Node(name: "flat", opType: "Flatten", inputs: ["pixels"], outputs: ["f"]),
                                  Node(name: "fc", opType: "Gemm", inputs: ["f", "w", "b"], outputs: ["logits"],
                                       attributes: ["transB": .int(1)])],
                          initializers: ["w": w, "b": Tensor(shape: [3])],
                          inputs: [ValueInfo(name: "pixels", shape: [nil, 1, 4, 4])], outputs: ["logits"], opset: 13)
        if let labels { graph.metadata["labels"] = labels.joined(separator: "\n") }
        try OutputFile.write(path, bytes: try ONNXWriter.bytes(ONNXWriter.model(graph)))
    }

    /// Alphabetical numbering (apple-pie 0, mango 1, zebra 2) against the model's order would score 0;
    /// by name every image is right.
    func testEvalMatchesFoldersToTheModelsClassesByName() throws {
        let dir = temporary("eval")
        try writeImages(dir, split: "test")
        try writeModel(dir + "/m.onnx")
        let data = try DataSource.load(dir, split: .test)
        XCTAssertEqual(data.classNames, ["apple-pie", "mango", "zebra"]) // the folders, before a model is met
        let model = try ONNXLoader.load(path: dir + "/m.onnx")
        let evaluation = try Evaluation.run(model, path: "m.onnx", data: data, dataPath: dir)
        XCTAssertEqual(evaluation.labels, Self.modelClasses)
        XCTAssertEqual(evaluation.confusion, [[3, 0, 0], [0, 3, 0], [0, 0, 3]])
        XCTAssertEqual(evaluation.accuracy, 1)
    }

    func testAFolderTheModelDoesNotKnowIsRefusedListingBothSets() throws {
        let dir = temporary("stray")
        try writeImages(dir, split: "test", extra: ["kiwi"])
        try writeModel(dir + "/m.onnx")
        let data = try DataSource.load(dir, split: .test)
        let model = try ONNXLoader.load(path: dir + "/m.onnx")
        XCTAssertThrowsError(try Evaluation.run(model, path: "m.onnx", data: data, dataPath: dir)) {
            let text = "\($0)"
            XCTAssertFalse(text.contains("\n"), text)
            XCTAssertTrue(text.hasPrefix("m.onnx: ") && text.contains("'kiwi'"), text)
            XCTAssertTrue(text.contains("the model has 'zebra', 'apple/pie', 'mango'"), text)
            XCTAssertTrue(text.contains("has 'apple-pie', 'kiwi', 'mango', 'zebra'"), text)
        }
        // A model without class names cannot be matched to folders at all.
        try writeModel(dir + "/bare.onnx", labels: nil)
        let bare = try ONNXLoader.load(path: dir + "/bare.onnx")
        XCTAssertThrowsError(try Evaluation.run(bare, path: "bare.onnx", data: data)) {
            XCTAssertTrue("\($0)".contains("stores no class names") && "\($0)".contains("--labels"), "\($0)")
        }
    }

    /// Fine-tuning renumbers the folders to the model's classes; the model's own order stays.
    func testFineTuningMatchesFoldersToTheModelsClassesByName() throws {
        let dir = temporary("finetune")
        try writeImages(dir, split: "train")
        try writeImages(dir, split: "test", count: 2)
        try writeModel(dir + "/m.onnx")
        var job = TrainingJob(data: dir, architecture: dir + "/m.onnx", output: dir + "/tuned.onnx")
        job.settings.epochs = 1; job.settings.batchSize = 3
        job.settings.optimizer.rule = .sgd; job.settings.optimizer.learningRate = 1e-6
        let (trainer, source, train, validation) = try job.prepare()
        XCTAssertEqual(train.classNames, Self.modelClasses)
        // Images are read folder by folder, alphabetically: apple-pie, mango, zebra; each takes its model index.
        XCTAssertEqual(train.labels, [1, 1, 1, 2, 2, 2, 0, 0, 0])
        XCTAssertEqual(source.test?.labels, [1, 1, 2, 2, 0, 0])
        let outcome = try job.run(trainer, source, train: train, validation: validation,
                                  onBatch: { _ in }, onEpoch: { _ in })
        XCTAssertEqual(outcome.test?.accuracy, 1)
        XCTAssertEqual(try ONNXLoader.load(path: dir + "/tuned.onnx").labels, Self.modelClasses)
    }

    /// A labels file orders an image folder's classes, each folder matched to its name.
    func testALabelsFileOrdersTheFoldersByName() throws {
        let dir = temporary("labelsfile")
        try writeImages(dir, split: "train", count: 1)
        try "mango\nzebra\napple/pie\n".write(toFile: dir + "/names.txt", atomically: true, encoding: .utf8)
        let source = try DataSource.load(dir, labelsFile: dir + "/names.txt")
        XCTAssertEqual(source.train.classNames, ["mango", "zebra", "apple/pie"])
        XCTAssertEqual(source.train.labels, [2, 0, 1]) // apple-pie, mango, zebra
        try "mango\nzebra\n".write(toFile: dir + "/short.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataSource.load(dir, labelsFile: dir + "/short.txt")) {
            XCTAssertTrue("\($0)".hasPrefix(dir + "/short.txt: ") && "\($0)".contains("'apple-pie'"), "\($0)")
        }
    }

    func testFolderNames() {
        XCTAssertEqual(ClassNames.folderName("T-shirt/top"), "T-shirt-top")
        XCTAssertEqual(ClassNames.index(of: "T-shirt-top", in: DataSource.fashionNames), 0)
        XCTAssertEqual(ClassNames.index(of: "Ankle boot", in: DataSource.fashionNames), 9)
        XCTAssertNil(ClassNames.index(of: "ankle boot", in: DataSource.fashionNames))
    }
}
