import Foundation
import ImageCodecs
import NeuralNet
import Tensors

/// A classifier's answer for the first item of a batch: one probability per
/// class, with names. Logits (any negative value, or values not summing to 1)
/// become probabilities by a softmax; outputs that already are probabilities
/// are kept as they are.
public struct Prediction: Sendable {
    /// The model's own values, one per class.
    public var scores: [Float]
    public var probabilities: [Float]
    /// True when `probabilities` is the softmax of `scores`.
    public var fromLogits: Bool
    /// One name per class: the labels given, else "class N".
    public var names: [String]

    /// nil when `output` is not one vector of at least two classes per item
    /// (N×K, K, or N×K×1×1).
    public init?(output: Tensor, labels: [String]?) {
        let shape = output.shape
        let perItem = shape.count >= 2 ? shape.dropFirst().reduce(1, *) : output.count
        let vectorLike = shape.count == 1 || shape.count == 2
            || (shape.count > 2 && shape.dropFirst(2).allSatisfy { $0 == 1 })
        guard vectorLike, perItem >= 2, output.count >= perItem else { return nil }
        scores = Array(output.storage.prefix(perItem))
        let sum = scores.reduce(0, +)
        fromLogits = scores.contains { $0 < 0 || !$0.isFinite } || abs(sum - 1) > 1e-3
        if fromLogits {
            let m = scores.filter(\.isFinite).max() ?? 0
            let e = scores.map { $0.isFinite ? Foundation.exp($0 - m) : 0 }
            let total = max(e.reduce(0, +), .leastNormalMagnitude)
            probabilities = e.map { $0 / total }
        } else {
            probabilities = scores
        }
        if let labels, labels.count == perItem {
            names = labels
        } else {
            names = (0..<perItem).map { "class \($0)" }
        }
    }

    /// Class indices from the most to the least probable (ties by index).
    public var ranking: [Int] {
        let p = probabilities
        return p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
    }

    /// Class names from a text file, one per line (a final empty line ignored); `imagenet` is
    /// ImageNet's 1000 classes in torchvision's order (`./imagenet` for a file of that name).
    public static func labels(file path: String) throws -> [String] {
        if path == "imagenet" { return ImageNetClasses.names }
        let bytes = try ImageReader.readBytes(path)
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw CodecError(path, "the labels are not UTF-8 text")
        }
        var names = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        while names.last == "" { names.removeLast() }
        guard !names.isEmpty else { throw CodecError(path, "no class names (one per line expected)") }
        return names
    }

    /// The class names a model carries in its metadata ("labels", one per line), if any.
    public static func labels(of graph: Graph) -> [String]? {
        guard var names = graph.labels else { return nil }
        while names.last == "" { names.removeLast() }
        return names.isEmpty ? nil : names
    }
}
