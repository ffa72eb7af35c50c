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

    public static func run(_ graph: Graph, path: String, data: Dataset, batchSize: Int = 500) throws -> Evaluation {
        guard graph.inputs.count == 1, graph.inputs[0].shape.count == 4 else { throw TrainingError("\(path): eval needs a model with one N×C×H×W input") }
        let declared = graph.inputs[0].shape.dropFirst()
        for (d, s) in zip(declared, data.sampleShape) where d != nil && d != s {
            throw TrainingError("\(path): the model takes \(declared.map { $0.map(String.init) ?? "?" }.joined(separator: "×")) samples, the data has \(shapeText(data.sampleShape))")
        }
        let runner: ModelRunner
        do { runner = try ModelRunner(graph) } catch { throw TrainingError("\(path): \(error)") }
        let classes = data.classNames.count, size = data.sampleSize
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let x = Tensor(shape: [end - start] + data.sampleShape, values: Array(data.pixels[(start * size)..<(end * size)]))
            let outputs: [String: Tensor]
            do { outputs = try runner.run([graph.inputs[0].name: x]) } catch { throw TrainingError("\(path): \(error)") }
            let y = outputs[graph.outputs[0]]!
            guard y.count == (end - start) * classes else {
                throw TrainingError("\(path): the model gives \(y.count / max(end - start, 1)) outputs per sample, the data has \(classes) classes")
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
