import Tensors

/// Softmax followed by the negative log-likelihood of the true class, averaged
/// over the batch; the gradient with respect to the logits is
/// (softmax − one-hot) / N.
public enum CrossEntropy {
    public struct Result {
        public var loss: Float
        public var gradient: Tensor
        public var correct: Int
        public var predictions: [Int]
    }

    public static func evaluate(logits: Tensor, labels: [Int]) -> Result {
        let n = logits.shape[0], k = logits.shape[1]
        var gradient = Tensor(shape: logits.shape)
        var loss: Double = 0, correct = 0
        var predictions = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let row = logits.storage[(i * k)..<((i + 1) * k)]
            let top = row.max()!
            var sum: Float = 0
            for v in row { sum += expf(v - top) }
            let logSum = logf(sum) + top
            loss += Double(logSum - row[row.startIndex + labels[i]])
            let predicted = row.firstIndex(of: top)! - row.startIndex
            predictions[i] = predicted
            if predicted == labels[i] { correct += 1 }
            for j in 0..<k {
                let p = expf(row[row.startIndex + j] - logSum)
                gradient.storage[i * k + j] = (p - (j == labels[i] ? 1 : 0)) / Float(n)
            }
        }
        return Result(loss: Float(loss / Double(max(n, 1))), gradient: gradient, correct: correct, predictions: predictions)
    }
}

#if canImport(Glibc)
import Glibc
#endif
