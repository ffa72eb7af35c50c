import Foundation
import NeuralNet
import Tensors

/// A model's accuracy on labelled data, per class and as a confusion matrix
/// (rows: true class, columns: predicted), computed with the inference
/// runtime, so any ONNX classifier can be evaluated, not only our own.
public struct Evaluation {
    public var labels: [String]
    public var confusion: [[Int]]

    public var total: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { confusion.indices.reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Float { Float(correct) / Float(max(total, 1)) }
    public var perClass: [Float] { confusion.indices.map { Float(confusion[$0][$0]) / Float(max(confusion[$0].reduce(0, +), 1)) } }

    /// `data`'s classes are matched by name to the model's class names: `labels` (read from `labelsFile`) or
    /// those the model stores (metadata "labels"); data whose labels are numbers (IDX files without names) is
    /// scored by number. `path` and `dataPath` name the model and the data in errors.
    public static func run(_ graph: Graph, path: String, data: Dataset, dataPath: String = "the data",
                           labels: [String]? = nil, labelsFile: String? = nil,
                           batchSize: Int = 500) throws -> Evaluation {
        guard graph.inputs.count == 1, graph.inputs[0].shape.count == 4 else { throw TrainingError("\(path): eval needs a model with one N×C×H×W input") }
        let declared = graph.inputs[0].shape.dropFirst()
        for (d, s) in zip(declared, data.sampleShape) where d != nil && d != s {
            throw TrainingError("\(path): the model takes \(declared.map { $0.map(String.init) ?? "?" }.joined(separator: "×")) samples, the data has \(shapeText(data.sampleShape))")
        }
        guard data.count > 0 else { throw TrainingError("\(dataPath): no samples to evaluate") }
        let runner: ModelRunner
        do { runner = try ModelRunner(graph) } catch { throw TrainingError("\(path): \(error)") }
        let size = data.sampleSize
        func outputs(_ start: Int, _ end: Int) throws -> Tensor {
            let x = Tensor(shape: [end - start] + data.sampleShape,
                           values: Array(data.pixels[(start * size)..<(end * size)]))
            do { return try runner.run([graph.inputs[0].name: x])[graph.outputs[0]]! }
            catch { throw TrainingError("\(path): \(error)") }
        }
        // One sample gives the number of outputs, which the class names must match.
        let classes = try outputs(0, 1).count
        let data = try matched(data, classes: classes, path: path, dataPath: dataPath, labels: labels ?? graph.labels,
                               labelsFile: labels == nil ? nil : labelsFile)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let y = try outputs(start, end)
            guard y.count == (end - start) * classes else {
                let per = y.count / max(end - start, 1)
                throw TrainingError("\(path): the model gives \(per) outputs per sample, then \(classes)")
            }
            for i in 0..<(end - start) {
                let row = y.storage[(i * classes)..<((i + 1) * classes)]
                let predicted = row.indices.max { row[$0] < row[$1] }! - row.startIndex
                confusion[data.labels[start + i]][predicted] += 1
            }
            start = end
        }
        return Evaluation(labels: data.classNames, confusion: confusion)
    }

    /// The data renumbered to the model's classes by name (see `ClassNames`).
    static func matched(_ data: Dataset, classes: Int, path: String, dataPath: String, labels: [String]?,
                        labelsFile: String?) throws -> Dataset {
        if let labels {
            guard labels.count == classes else {
                throw TrainingError("\(labelsFile ?? path): \(labels.count) class names for the model's "
                                    + "\(classes) outputs")
            }
            return try data.matched(to: labels, file: labelsFile ?? path, ours: dataPath,
                                    theirs: labelsFile == nil ? "the model" : "the labels file")
        }
        guard !data.namedClasses else {
            throw TrainingError("\(path): the model stores no class names (metadata \"labels\") to match "
                                + "\(dataPath)'s classes \(ClassNames.list(data.classNames)) by name; "
                                + "give them with --labels FILE, one per line in output order")
        }
        let names = data.classNames.count == classes ? data.classNames : (0..<classes).map(String.init)
        return try data.matched(to: names, file: path, ours: dataPath, theirs: "the model")
    }

    /// Accuracy, per-class accuracy and the confusion matrix as aligned text.
    public var report: String {
        let width = max(5, labels.indices.map { name($0).count }.max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        var lines = [String(format: "accuracy %.4f (%d of %d)", accuracy, correct, total), "", "per class:"]
        for (i, name) in labels.enumerated() {
            lines.append("  \(pad(name, width))  \(String(format: "%.4f", perClass[i]))  (\(confusion[i][i]) of \(confusion[i].reduce(0, +)))")
        }
        let cell = max(5, String(confusion.flatMap { $0 }.max() ?? 0).count + 1)
        lines += ["", "confusion matrix (rows: true class, columns: predicted):"]
        lines.append(pad("", width + 2) + confusion.indices.map { pad(String($0), cell) }.joined())
        for (i, row) in confusion.enumerated() {
            lines.append("  \(pad(name(i), width))" + row.map { pad(String($0), cell) }.joined())
        }
        lines.append("  columns: " + labels.enumerated().map { "\($0.offset) = \($0.element)" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    private func name(_ i: Int) -> String { "\(i) \(labels[i])" }
}
