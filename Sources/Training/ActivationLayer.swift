import Tensors

/// Element-wise nonlinearities; each keeps its output, from which its
/// derivative follows (ReLU: y > 0, sigmoid: y(1 − y), tanh: 1 − y²).
public final class ActivationLayer: Layer {
    public enum Kind: Equatable, Sendable { case relu, leakyRelu(Float), sigmoid, tanh }
    public let kind: Kind
    private var output = Tensor(shape: [0])

    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .relu: return "relu"
        case .leakyRelu(let a): return "leakyrelu \(a)"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        }
    }

    public func outputShape(_ input: [Int]) throws -> [Int] { input }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        var y = x
        y.storage.withUnsafeMutableBufferPointer { v in
            switch kind {
            case .relu: for i in v.indices { v[i] = max(v[i], 0) }
            case .leakyRelu(let a): for i in v.indices where v[i] < 0 { v[i] *= a }
            case .sigmoid: for i in v.indices { v[i] = 1 / (1 + expf(-v[i])) }
            case .tanh: for i in v.indices { v[i] = tanhf(v[i]) }
            }
        }
        if training { output = y }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        var dx = dy
        output.storage.withUnsafeBufferPointer { y in
            dx.storage.withUnsafeMutableBufferPointer { d in
                switch kind {
                case .relu: for i in d.indices where y[i] <= 0 { d[i] = 0 }
                case .leakyRelu(let a): for i in d.indices where y[i] <= 0 { d[i] *= a }
                case .sigmoid: for i in d.indices { d[i] *= y[i] * (1 - y[i]) }
                case .tanh: for i in d.indices { d[i] *= 1 - y[i] * y[i] }
                }
            }
        }
        return dx
    }
}

#if canImport(Glibc)
import Glibc
#endif
