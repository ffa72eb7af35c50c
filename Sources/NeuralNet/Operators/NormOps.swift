import Foundation
import Tensors

/// Normalisations: batch norm (inference, running statistics), instance norm, LRN.
enum NormOps {
    static let table: [String: Operator] = [
        "BatchNormalization": batchNorm,
        "InstanceNormalization": instanceNorm,
        "LRN": lrn,
    ]

    static func batchNorm(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        var x = try required(inputs, 0, node)
        let scale = try required(inputs, 1, node), b = try required(inputs, 2, node)
        let mean = try required(inputs, 3, node), variance = try required(inputs, 4, node)
        let eps = node.float("epsilon", default: 1e-5)
        guard x.rank >= 2 else { throw ModelError.node(node, "expects N×C×… input, got \(x.shape)") }
        let c = x.shape[1], inner = x.shape[2...].reduce(1, *)
        guard [scale, b, mean, variance].allSatisfy({ $0.count == c }) else {
            throw ModelError.node(node, "scale, bias, mean and variance need \(c) values each")
        }
        for ch in 0..<c {
            let k = scale.storage[ch] / (variance.storage[ch] + eps).squareRoot()
            let off = b.storage[ch] - mean.storage[ch] * k
            for item in 0..<x.shape[0] {
                let base = (item * c + ch) * inner
                for i in base..<(base + inner) { x.storage[i] = x.storage[i] * k + off }
            }
        }
        return [x]
    }

    static func instanceNorm(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        var x = try required(inputs, 0, node)
        let scale = try required(inputs, 1, node), b = try required(inputs, 2, node)
        let eps = node.float("epsilon", default: 1e-5)
        guard x.rank >= 3 else { throw ModelError.node(node, "expects N×C×… input, got \(x.shape)") }
        let c = x.shape[1], inner = x.shape[2...].reduce(1, *)
        for item in 0..<x.shape[0] { for ch in 0..<c {
            let base = (item * c + ch) * inner
            var mean: Double = 0
            for i in base..<(base + inner) { mean += Double(x.storage[i]) }
            mean /= Double(inner)
            var v: Double = 0
            for i in base..<(base + inner) { let d = Double(x.storage[i]) - mean; v += d * d }
            v /= Double(inner)
            let k = Double(scale.storage[ch]) / (v + Double(eps)).squareRoot()
            for i in base..<(base + inner) {
                x.storage[i] = Float((Double(x.storage[i]) - mean) * k + Double(b.storage[ch]))
            }
        } }
        return [x]
    }

    /// y = x / (bias + alpha / size · Σ x² over `size` neighbouring channels)^beta.
    static func lrn(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(inputs, 0, node)
        let (n, c, h, w) = try nchw(x, node)
        let size = node.int("size", default: 1)
        let alpha = node.float("alpha", default: 1e-4), beta = node.float("beta", default: 0.75), bias = node.float("bias", default: 1)
        var y = x
        let area = h * w
        for item in 0..<n { for ch in 0..<c {
            // Channels c - floor((size-1)/2) ... c + ceil((size-1)/2), as the ONNX specification says.
            let lo = max(0, ch - (size - 1) / 2), hi = min(c - 1, ch + (size - 1) - (size - 1) / 2)
            for p in 0..<area {
                var sum: Float = 0
                for cc in lo...hi { let v = x.storage[(item * c + cc) * area + p]; sum += v * v }
                let i = (item * c + ch) * area + p
                y.storage[i] = x.storage[i] / Foundation.pow(bias + alpha / Float(size) * sum, beta)
            }
        } }
        return [y]
    }
}
