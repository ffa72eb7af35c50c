import Foundation
import ImageCodecs
import NeuralNet
import Synchronization
import Testing
import Tensors
@testable import Visualize

/// Batched inference (`BatchInference`) and the answers `predict` writes (`PredictionLines`), on
/// models small enough that every expected number is worked out by hand.
@Suite struct BatchInferenceTests {
    /// y = flatten(x) · W for x of 1×2×2 (N×1×2×2 in), W 4×3: y = (x0 + 2·x3, x1, x2 + x3).
    static func linear(batch: Int? = nil) -> Graph {
        var w = Tensor(shape: [4, 3])
        w.storage = [1, 0, 0,
                     0, 1, 0,
                     0, 0, 1,
                     2, 0, 1]
        return Graph(nodes: [Node(name: "flat", opType: "Flatten", inputs: ["x"], outputs: ["f"]),
                             Node(name: "fc", opType: "Gemm", inputs: ["f", "w"], outputs: ["y"])],
                     initializers: ["w": w], inputs: [ValueInfo(name: "x", shape: [batch, 1, 2, 2])],
                     outputs: ["y"], opset: 13)
    }

    /// Inputs i = 0..<n as .npy files: x = (i, 10, 100, 1000 + i), so y = (2000 + 3i, 10, 1100 + i).
    static func inputs(_ n: Int, in dir: URL) throws -> [String] {
        try (0..<n).map { i in
            let path = dir.appendingPathComponent("x\(i).npy").path
            let x = Tensor(shape: [1, 1, 2, 2], values: [Float(i), 10, 100, Float(1000 + i)])
            try Data(NPYCodec.encode(x)).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("batchinference-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Every output (or error) by input index, and the sizes of the batches delivered.
    static func collect(_ b: BatchInference, _ inputs: [String]) -> ([Int: Result<Tensor, Error>], [Int]) {
        var all: [Int: Result<Tensor, Error>] = [:], sizes: [Int] = []
        b.run(inputs) { results in
            sizes.append(results.count)
            for (i, r) in results { all[i] = r }
        }
        return (all, sizes)
    }

    @Test func batchesAnswerEachInputInOrder() throws {
        let dir = try Self.tempDir()
        var paths = try Self.inputs(7, in: dir)
        paths.insert(dir.appendingPathComponent("missing.npy").path, at: 3)
        let b = try BatchInference(graph: Self.linear(), preparation: InputPreparation(), batchSize: 3)
        #expect(b.batchSize == 3)
        let (outputs, sizes) = Self.collect(b, paths)
        #expect(sizes == [3, 3, 2])  // 8 inputs in batches of 3
        for (k, path) in paths.enumerated() {
            guard k != 3 else {
                #expect(throws: CodecError.self) { try outputs[3]!.get() }
                continue
            }
            let i = Float(k < 3 ? k : k - 1)
            let y = try #require(try? outputs[k]!.get(), "\(path)")
            #expect(y.shape == [1, 3] && y.storage == [2000 + 3 * i, 10, 1100 + i], "\(path)")
        }
    }

    @Test func aFixedBatchOrAFreeSizeRunsOneAtATime() throws {
        #expect(!BatchInference.acceptsBatches(Self.linear(batch: 1)))
        #expect(try BatchInference(graph: Self.linear(batch: 1), preparation: InputPreparation(), batchSize: 8)
            .batchSize == 1)
        var free = Self.linear()
        free.inputs[0].shape = [nil, 1, nil, nil]
        #expect(!BatchInference.acceptsBatches(free) && BatchInference.defaultBatchSize(for: free) == 1)
    }

    @Test func aModelThatMixesTheItemsOfABatchFallsBackToOneAtATime() throws {
        // The mean of all values, over the whole batch: a batch of 4 gives one number, not 4.
        let g = Graph(nodes: [Node(name: "mean", opType: "ReduceMean", inputs: ["x"], outputs: ["y"],
                                   attributes: ["keepdims": .int(0)])],
                      initializers: [:], inputs: [ValueInfo(name: "x", shape: [nil, 1, 2, 2])], outputs: ["y"],
                      opset: 13)
        let dir = try Self.tempDir()
        let paths = try Self.inputs(6, in: dir)
        var b = try BatchInference(graph: g, preparation: InputPreparation(), batchSize: 4)
        let notes = Mutex<[String]>([])
        b.onNote = { n in notes.withLock { $0.append(n) } }
        let (outputs, sizes) = Self.collect(b, paths)
        #expect(sizes == [4, 1, 1])  // after the first batch, one at a time
        #expect(notes.withLock { $0.count } == 1)
        for i in 0..<6 {
            // (i + 10 + 100 + 1000 + i) / 4
            #expect(try outputs[i]!.get().storage == [Float(1110 + 2 * i) / 4], "input \(i)")
        }
    }

    @Test func anInputOfAnotherShapeFailsAloneNamingTheModel() throws {
        let dir = try Self.tempDir()
        var paths = try Self.inputs(3, in: dir)
        let odd = dir.appendingPathComponent("odd.npy").path
        try Data(NPYCodec.encode(Tensor(shape: [1, 1, 3, 3]))).write(to: URL(fileURLWithPath: odd))
        paths.insert(odd, at: 1)
        var b = try BatchInference(graph: Self.linear(), preparation: InputPreparation(), batchSize: 4)
        b.name = "linear.onnx"
        let (outputs, _) = Self.collect(b, paths)
        #expect(throws: ModelError.self) { try outputs[1]!.get() }
        if case .failure(let e) = outputs[1]! {
            #expect("\(e)".hasPrefix("linear.onnx: input 'x' has shape 1×1×3×3"))
        }
        #expect(try outputs[2]!.get().storage == [2003, 10, 1101])
    }

    @Test func theDefaultBatchKeepsTheWidestLayerNear16MB() throws {
        // One item of 1×2×2 (the widest value: 4 floats, 16 bytes): the cap of 64.
        #expect(BatchInference.defaultBatchSize(for: Self.linear()) == 64)
        // One item of 3×512×512 floats is 3 MiB: 4 of them are 12 MiB, 8 would be 24.
        let big = Graph(nodes: [Node(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])], initializers: [:],
                        inputs: [ValueInfo(name: "x", shape: [nil, 3, 512, 512])], outputs: ["y"], opset: 13)
        #expect(BatchInference.defaultBatchSize(for: big) == 4)
    }

    /// Probabilities that are exact in binary (so their shortest decimals are known): 0.25, 0.5, 0.25.
    static let output = Tensor(shape: [1, 3], values: [0.25, 0.5, 0.25])

    @Test func answersAsTextJSONAndCSV() throws {
        var text = PredictionLines(format: .text, top: 2, labels: ["dog", "cat", "cow"])
        #expect(try text.lines(path: "a.jpg", output: Self.output, modelLabels: nil)
                == "a.jpg\n  1   50.00%  class 1  cat\n  2   25.00%  class 0  dog\n")
        text.bare = true
        text.labels = nil
        #expect(try text.lines(path: "a.jpg", output: Self.output, modelLabels: nil)
                == "1   50.00%  class 1\n2   25.00%  class 0\n")
        // The model's own names, when they fit.
        #expect(try text.lines(path: "a.jpg", output: Self.output, modelLabels: ["x", "y", "z"])
            .hasSuffix("class 0  x\n"))

        let json = PredictionLines(format: .json, top: 2, labels: ["dog", "cat", "cow"])
        #expect(try json.lines(path: "a \"b\"\n.jpg", output: Self.output, modelLabels: nil)
                == #"{"path":"a \"b\"\n.jpg","top":[{"class":1,"name":"cat","probability":0.5},"#
                + #"{"class":0,"name":"dog","probability":0.25}]}"# + "\n")
        #expect(try PredictionLines(format: .json, top: 1).lines(path: "a", output: Self.output, modelLabels: nil)
                == #"{"path":"a","top":[{"class":1,"name":null,"probability":0.5}]}"# + "\n")
        #expect(json.failure(path: "b.jpg", error: "b.jpg: no such file")
                == #"{"path":"b.jpg","error":"b.jpg: no such file"}"# + "\n")

        let csv = PredictionLines(format: .csv, top: 2, labels: ["dog", "cat", "cow"])
        #expect(csv.header == "path,class_1,name_1,probability_1,class_2,name_2,probability_2\n")
        #expect(try csv.lines(path: "a,\"b\".jpg", output: Self.output, modelLabels: nil)
                == "\"a,\"\"b\"\".jpg\",1,cat,0.5,0,dog,0.25\n")
        #expect(csv.failure(path: "b.jpg", error: "b.jpg: no such file") == "")
        // Logits: softmax of (0, ln 3) is (1/4, 3/4).
        let logits = Tensor(shape: [1, 2], values: [0, Float(log(3.0))])
        let row = try PredictionLines(format: .csv, top: 1).lines(path: "l", output: logits, modelLabels: nil)
        #expect(row.hasPrefix("l,1,,") && abs((Float(row.dropFirst(5).dropLast()) ?? 0) - 0.75) < 1e-6, "\(row)")
    }

    @Test func labelsThatDoNotFitAreAnError() {
        let lines = PredictionLines(format: .json, top: 1, labels: ["a", "b"], labelSource: "labels.txt")
        do {
            _ = try lines.lines(path: "a", output: Self.output, modelLabels: nil)
            Issue.record("2 labels for 3 classes were taken")
        } catch {
            #expect("\(error)" == "labels.txt: 2 labels for 3 classes")
        }
        #expect(throws: ModelError.self) {
            try lines.lines(path: "a", output: Tensor(shape: [1, 3, 4, 4]), modelLabels: nil)
        }
    }

    @Test func anEarlierRunsAnswersAreReadBackWithoutACutOffLine() throws {
        let json = PredictionLines(format: .json, top: 1)
        let earlier = #"{"path":"./d/a.jpg","top":[]}"# + "\n" + #"{"path":"b.jpg","error":"b.jpg: no such file"}"#
            + "\n" + #"{"path":"c.jpg","to"#
        let (done, length) = try json.answered(Array(earlier.utf8), file: "out.jsonl")
        #expect(done == ["d/a.jpg"])  // the failure is tried again, the cut-off line dropped
        #expect(length == earlier.utf8.count - #"{"path":"c.jpg","to"#.utf8.count)
        #expect(throws: CodecError.self) { try json.answered(Array("not json\n".utf8), file: "out.jsonl") }

        let csv = PredictionLines(format: .csv, top: 1)
        let rows = csv.header! + "\"x,\ny.jpg\",1,,0.5\n" + "z.jpg,0,,0.5\n" + "w.jp"
        let (listed, kept) = try csv.answered(Array(rows.utf8), file: "out.csv")
        #expect(listed == ["x,\ny.jpg", "z.jpg"] && kept == rows.utf8.count - 4)
        #expect(try csv.answered([], file: "out.csv") == ([], 0))
        #expect(throws: CodecError.self) {
            try PredictionLines(format: .csv, top: 2).answered(Array(rows.utf8), file: "out.csv")
        }
        #expect(throws: CodecError.self) { try PredictionLines(format: .text, top: 1).answered([], file: "o.txt") }
    }
}
