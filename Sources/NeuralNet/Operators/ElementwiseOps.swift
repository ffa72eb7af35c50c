import Foundation
import Tensors

/// Activations and arithmetic, element by element (binary ones broadcast as NumPy does).
enum ElementwiseOps {
    static func unary(_ f: @escaping (Node) -> (Float) -> Float) -> Operator {
        return { node, inputs, _ in
            let x = try required(inputs, 0, node)
            return [mapValues(x, f(node))]
        }
    }

    static func binary(_ f: @escaping (Float, Float) -> Float) -> Operator {
        return { node, inputs, _ in [try elementwise(try required(inputs, 0, node), try required(inputs, 1, node), node: node, f)] }
    }

    static let table: [String: Operator] = [
        // Relu, Clip and Add follow most convolutions: their loops are written out (no call per value).
        "Relu": { node, inputs, _ in [mapValues(try required(inputs, 0, node)) { max($0, 0) }] },
        "LeakyRelu": unary { n in let a = n.float("alpha", default: 0.01); return { $0 >= 0 ? $0 : a * $0 } },
        "Sigmoid": unary { _ in { 1 / (1 + Foundation.exp(-$0)) } },
        "Tanh": unary { _ in { Foundation.tanh($0) } },
        "Elu": unary { n in let a = n.float("alpha", default: 1); return { $0 >= 0 ? $0 : a * (Foundation.exp($0) - 1) } },
        "Selu": unary { n in
            let a = n.float("alpha", default: 1.67326319217681884765625), g = n.float("gamma", default: 1.05070102214813232421875)
            return { $0 > 0 ? g * $0 : g * a * (Foundation.exp($0) - 1) }
        },
        "Softplus": unary { _ in { $0 > 20 ? $0 : Foundation.log1p(Foundation.exp($0)) } },
        "HardSigmoid": unary { n in
            let a = n.float("alpha", default: 0.2), b = n.float("beta", default: 0.5)
            return { max(0, min(1, a * $0 + b)) }
        },
        "HardSwish": unary { _ in { $0 * max(0, min(1, $0 / 6 + 0.5)) } },
        "Exp": unary { _ in { Foundation.exp($0) } },
        "Sqrt": unary { _ in { $0.squareRoot() } },
        "Neg": unary { _ in { -$0 } },
        "Abs": unary { _ in { abs($0) } },
        "Identity": { node, inputs, _ in [try required(inputs, 0, node)] },
        "Dropout": { node, inputs, _ in
            // Inference: the input unchanged (and an all-true mask if asked for).
            let x = try required(inputs, 0, node)
            return node.outputs.count > 1 ? [x, Tensor(shape: x.shape, repeating: 1)] : [x]
        },
        "Cast": cast,
        "Clip": { node, inputs, opset in
            let x = try required(inputs, 0, node)
            let lo = opset >= 11 ? (optional(inputs, 1)?.scalar ?? -.infinity) : node.float("min", default: -.infinity)
            let hi = opset >= 11 ? (optional(inputs, 2)?.scalar ?? .infinity) : node.float("max", default: .infinity)
            return [mapValues(x) { min(max($0, lo), hi) }]
        },
        "PRelu": { node, inputs, _ in
            [try elementwise(try required(inputs, 0, node), try required(inputs, 1, node), node: node) { $0 >= 0 ? $0 : $0 * $1 }]
        },
        "Add": { node, inputs, _ in
            let a = try required(inputs, 0, node), b = try required(inputs, 1, node)
            if let (lo, hi) = fusedBounds(node) { return [try elementwise(a, b, node: node) { min(max($0 + $1, lo), hi) }] }
            return [try elementwise(a, b, node: node) { $0 + $1 }]
        },
        "Sub": binary(-),
        "Mul": binary(*),
        "Div": binary(/),
        "Pow": binary { Foundation.pow($0, $1) },
        "Max": binary { max($0, $1) },
        "Min": binary { min($0, $1) },
        "Softmax": { node, inputs, opset in [try softmax(node, inputs, opset, log: false)] },
        "LogSoftmax": { node, inputs, opset in [try softmax(node, inputs, opset, log: true)] },
    ]

    /// Values stay Float32 here, but take the target type's values: integers
    /// truncated toward zero and clipped to the type's range, booleans 0 or 1,
    /// float16 rounded to half precision. Strings are not supported.
    static func cast(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        var x = try required(inputs, 0, node)
        let to = node.int("to", default: 1)
        let range: ClosedRange<Float>?
        switch to {
        case 1, 11: return [x]                              // float, double
        case 10:                                             // float16
            x.storage.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = Float(Float16(p[i])) } }
            return [x]
        case 9:                                              // bool
            x.storage.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = p[i] != 0 ? 1 : 0 } }
            return [x]
        case 2: range = 0...255
        case 3: range = -128...127
        case 4: range = 0...65535
        case 5: range = -32768...32767
        case 6, 7: range = -Float(1 << 31)...Float(1 << 31)  // beyond 2^24 Float32 is not exact anyway
        case 12, 13: range = 0...Float(UInt32.max)
        default: throw ModelError.node(node, "cannot cast to element type \(to)")
        }
        if let range {
            x.storage.withUnsafeMutableBufferPointer { p in
                for i in p.indices { p[i] = p[i].isNaN ? 0 : min(max(p[i].rounded(.towardZero), range.lowerBound), range.upperBound) }
            }
        }
        return [x]
    }

    /// Softmax along `axis` (opset 13+), or over the flattened trailing
    /// dimensions from `axis` on (before 13, default axis 1).
    static func softmax(_ node: Node, _ inputs: [Tensor?], _ opset: Int, log: Bool) throws -> Tensor {
        var x = try required(inputs, 0, node)
        let a = try axis(node.int("axis", default: opset >= 13 ? -1 : 1), rank: x.rank, node: node)
        let outer = x.shape[..<a].reduce(1, *)
        let (len, inner) = opset >= 13 ? (x.shape[a], x.shape[(a + 1)...].reduce(1, *)) : (x.shape[a...].reduce(1, *), 1)
        x.storage.withUnsafeMutableBufferPointer { p in
            for o in 0..<outer { for i in 0..<inner {
                let base = o * len * inner + i
                var m = -Float.infinity
                for k in 0..<len { m = max(m, p[base + k * inner]) }
                var sum: Float = 0
                for k in 0..<len { sum += Foundation.exp(p[base + k * inner] - m) }
                for k in 0..<len {
                    let v = p[base + k * inner] - m
                    p[base + k * inner] = log ? v - Foundation.log(sum) : Foundation.exp(v) / sum
                }
            } }
        }
        return x
    }
}
