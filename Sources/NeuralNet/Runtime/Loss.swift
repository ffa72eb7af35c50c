import Foundation
import Tensors

/// The losses training minimises, each with its gradient with respect to the model's output, which
/// `Backpropagation.backward` takes from there. Means are over the batch (and, for the squared error,
/// over every value), as PyTorch's defaults are.
public enum Loss {
    public struct Value {
        public var loss: Float
        /// dLoss/dOutput, the output's shape.
        public var gradient: Tensor
    }

    /// Softmax and the negative log-likelihood of each row's label (N×K logits). With label smoothing ε
    /// the target is (1 − ε)·one-hot + ε/K, as in PyTorch; the gradient is (softmax − target) / N.
    public static func crossEntropy(logits: Tensor, labels: [Int], smoothing: Float = 0) -> Value {
        let n = logits.shape[0], k = logits.count / max(n, 1)
        precondition(labels.count == n, "\(labels.count) labels for \(n) rows")
        var gradient = Tensor(shape: logits.shape)
        var loss: Double = 0
        let offValue = smoothing / Float(k), onValue = 1 - smoothing + offValue
        logits.storage.withUnsafeBufferPointer { p in gradient.storage.withUnsafeMutableBufferPointer { g in
            for i in 0..<n {
                let row = p.baseAddress! + i * k
                var top = -Float.infinity
                for j in 0..<k { top = max(top, row[j]) }
                var sum: Float = 0
                for j in 0..<k { sum += expf(row[j] - top) }
                let logSum = logf(sum) + top
                var rowLoss: Double = 0
                for j in 0..<k {
                    let target = j == labels[i] ? onValue : offValue
                    rowLoss += Double(target) * Double(logSum - row[j])
                    g[i * k + j] = (expf(row[j] - logSum) - target) / Float(n)
                }
                loss += rowLoss
            }
        } }
        return Value(loss: Float(loss / Double(max(n, 1))), gradient: gradient)
    }

    /// The mean of −output[i, label i] over the batch, for a model whose output is already
    /// log-probabilities (it ends in LogSoftmax).
    public static func negativeLogLikelihood(logProbabilities x: Tensor, labels: [Int]) -> Value {
        let n = x.shape[0], k = x.count / max(n, 1)
        var gradient = Tensor(shape: x.shape), loss: Double = 0
        for i in 0..<n {
            loss -= Double(x.storage[i * k + labels[i]])
            gradient.storage[i * k + labels[i]] = -1 / Float(n)
        }
        return Value(loss: Float(loss / Double(max(n, 1))), gradient: gradient)
    }

    /// The mean of (output − target)² over every value.
    public static func meanSquaredError(_ output: Tensor, target: Tensor) -> Value {
        precondition(output.shape == target.shape, "output \(output.shape) and target \(target.shape) differ")
        let scale = 2 / Float(max(output.count, 1))
        var loss: Double = 0
        for i in 0..<output.count { let d = Double(output.storage[i] - target.storage[i]); loss += d * d }
        let gradient = zipValues(output, target) { ($0 - $1) * scale }
        return Value(loss: Float(loss / Double(max(output.count, 1))), gradient: gradient)
    }
}
