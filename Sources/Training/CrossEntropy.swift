import NeuralNet
import Tensors

/// The training loss (the runtime's `Loss.crossEntropy`: softmax, then the negative log-likelihood of
/// the true class averaged over the batch, with optional label smoothing) and the batch's predictions.
public enum CrossEntropy {
    public struct Result {
        public var loss: Float
        public var gradient: Tensor
        public var correct: Int
        public var predictions: [Int]
    }

    public static func evaluate(logits: Tensor, labels: [Int], smoothing: Float = 0) -> Result {
        let n = logits.shape[0], k = logits.count / max(n, 1)
        let value = Loss.crossEntropy(logits: logits, labels: labels, smoothing: smoothing)
        let predictions = (0..<n).map { i in
            let row = logits.storage[(i * k)..<((i + 1) * k)]
            return row.indices.max { row[$0] < row[$1] }! - row.startIndex
        }
        let correct = zip(predictions, labels).filter { $0 == $1 }.count
        return Result(loss: value.loss, gradient: value.gradient, correct: correct, predictions: predictions)
    }
}
