import CDirectConv
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

    /// An operator of one or more inputs, all broadcast together: f folded over them in order.
    static func variadic(_ f: @escaping (Float, Float) -> Float) -> Operator {
        return { node, inputs, _ in
            let all = try (0..<max(inputs.count, 1)).map { try required(inputs, $0, node) }
            return [try all.dropFirst().reduce(all[0]) { try elementwise($0, $1, node: node, f) }]
        }
    }

    static let table: [String: Operator] = [
        // Literal closures, where a network has many values, so that mapValues' and elementwise's loops are
        // compiled with the arithmetic in them (no call per value).
        "Relu": { node, inputs, _ in [mapValues(try required(inputs, 0, node)) { max($0, 0) }] },
        "LeakyRelu": unary { n in let a = n.float("alpha", default: 0.01); return { $0 >= 0 ? $0 : a * $0 } },
        "Sigmoid": { node, inputs, _ in [sigmoid(try required(inputs, 0, node))] },
        "Tanh": unary { _ in { Foundation.tanh($0) } },
        "Elu": unary { n in let a = n.float("alpha", default: 1); return { $0 >= 0 ? $0 : a * (Foundation.exp($0) - 1) } },
        "Selu": unary { n in
            let a = n.float("alpha", default: 1.67326319217681884765625), g = n.float("gamma", default: 1.05070102214813232421875)
            return { $0 > 0 ? g * $0 : g * a * (Foundation.exp($0) - 1) }
        },
        "Softplus": unary { _ in { $0 > 20 ? $0 : Foundation.log1p(Foundation.exp($0)) } },
        "HardSigmoid": { n, x, _ in
            let a = n.float("alpha", default: 0.2), b = n.float("beta", default: 0.5)
            return [mapValues(try required(x, 0, n)) { max(0, min(1, a * $0 + b)) }]
        },
        "HardSwish": { n, x, _ in [mapValues(try required(x, 0, n)) { $0 * max(0, min(1, $0 / 6 + 0.5)) }] },
        "Exp": unary { _ in { Foundation.exp($0) } },
        "Erf": unary { _ in { Foundation.erf($0) } },
        "Gelu": gelu,
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
        "Add": { node, inputs, _ in try add(node, inputs, clip: nil) },
        "Sub": { n, x, _ in [try elementwise(try required(x, 0, n), try required(x, 1, n), node: n) { $0 - $1 }] },
        "Mul": { n, x, _ in [try elementwise(try required(x, 0, n), try required(x, 1, n), node: n) { $0 * $1 }] },
        "Div": { node, inputs, _ in
            let a = try required(inputs, 0, node), b = try required(inputs, 1, node)
            guard node.int(integerArithmetic, default: 0) == 1 else {
                return [try elementwise(a, b, node: node) { $0 / $1 }]
            }
            // Integers: the quotient truncated toward zero, as C and onnxruntime divide them.
            guard !b.storage.contains(0) else { throw ModelError.node(node, "integer division by zero") }
            return [try elementwise(a, b, node: node) { Float((Double($0) / Double($1)).rounded(.towardZero)) }]
        },
        "Pow": binary { Foundation.pow($0, $1) },
        "Max": variadic { max($0, $1) },
        "Min": variadic { min($0, $1) },
        "Softmax": { node, inputs, opset in [try softmax(node, inputs, opset, log: false)] },
        "LogSoftmax": { node, inputs, opset in [try softmax(node, inputs, opset, log: true)] },
    ]

    /// The C kernels' vectorised logistic function (libm's exp, one call a value, is slower than the
    /// convolutions of a network with SiLU or squeeze-and-excitation).
    static func sigmoid(_ x: Tensor) -> Tensor {
        x.storage.withUnsafeBufferPointer { p in
            makeTensor(shape: x.shape) { q in cf_sigmoid(p.baseAddress, q.baseAddress, p.count) }
        }
    }

    /// x·Φ(x), Φ the normal distribution (approximate "none"), or its tanh approximation.
    static func gelu(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(inputs, 0, node)
        switch node.string("approximate", default: "none") {
        case "none":
            let r = Float(0.5).squareRoot()
            return [mapValues(x) { 0.5 * $0 * (1 + Foundation.erf($0 * r)) }]
        case "tanh":
            let c = (2 / Float.pi).squareRoot()
            return [mapValues(x) { 0.5 * $0 * (1 + Foundation.tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) }]
        case let other:
            throw ModelError.node(node, "approximate '\(other)' is neither 'none' nor 'tanh'")
        }
    }

    /// Values stay Float32 here, but take the target type's values: integers
    /// truncated toward zero and clipped to the type's range, booleans 0 or 1,
    /// float16 rounded to half precision. Strings are not supported.
    /// Add, with the Relu or Clip the runner folded into it applied to each sum.
    static func add(_ node: Node, _ inputs: [Tensor?], clip: ClipBounds?) throws -> [Tensor] {
        let a = try required(inputs, 0, node), b = try required(inputs, 1, node)
        if let (lo, hi) = clip { return [try elementwise(a, b, node: node) { min(max($0 + $1, lo), hi) }] }
        return [try elementwise(a, b, node: node) { $0 + $1 }]
    }

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

    /// The lines softmax runs along: `outer` × `inner` lines of `length` values, `inner` apart, along
    /// `axis` (opset 13+), or over the flattened trailing dimensions from `axis` on (before 13, default 1).
    static func softmaxLines(_ node: Node, shape: [Int], _ opset: Int) throws -> (outer: Int, length: Int, inner: Int) {
        let a = try axis(node.int("axis", default: opset >= 13 ? -1 : 1), rank: shape.count, node: node)
        let outer = shape[..<a].reduce(1, *)
        return opset >= 13 ? (outer, shape[a], shape[(a + 1)...].reduce(1, *)) : (outer, shape[a...].reduce(1, *), 1)
    }

    static func softmax(_ node: Node, _ inputs: [Tensor?], _ opset: Int, log: Bool) throws -> Tensor {
        var x = try required(inputs, 0, node)
        let (outer, len, inner) = try softmaxLines(node, shape: x.shape, opset)
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

    // MARK: Backward

    /// The rule of a one-input operator whose derivative at each value is `derivative(x, y)`.
    static func pointwise(_ derivative: @escaping (Node) -> (_ x: Float, _ y: Float) -> Float) -> GradientRule {
        GradientRule(inputs: [0]) { c in
            let d = derivative(c.node)
            return [zipValues(try c.input(0), c.outputs[0], c.gradient()) { x, y, g in g * d(x, y) }]
        }
    }

    /// dLoss/dA and dLoss/dB of a broadcasting binary operator from the local derivatives
    /// (each the output gradient times ∂f/∂a or ∂f/∂b at the broadcast position).
    static func binaryRule(_ partials: @escaping (_ g: Float, _ a: Float, _ b: Float) -> (Float, Float))
        -> GradientRule {
        GradientRule(inputs: [0, 1]) { c in
            let a = try c.input(0), b = try c.input(1), g = c.gradient()
            // Both operands read at the output's shape (broadcast), then summed back to their own.
            let wideA = a.shape == g.shape ? a : try elementwise(a, Tensor(shape: g.shape), node: c.node) { x, _ in x }
            let wideB = b.shape == g.shape ? b : try elementwise(Tensor(shape: g.shape), b, node: c.node) { _, y in y }
            let da = zipValues(g, wideA, wideB) { g, x, y in partials(g, x, y).0 }
            let db = zipValues(g, wideA, wideB) { g, x, y in partials(g, x, y).1 }
            return [c.wants(0) ? unbroadcast(da, to: a.shape) : nil, c.wants(1) ? unbroadcast(db, to: b.shape) : nil]
        }
    }

    static let gradients: [String: GradientRule] = [
        "Relu": pointwise { _ in { x, _ in x > 0 ? 1 : 0 } },
        "LeakyRelu": pointwise { n in let a = n.float("alpha", default: 0.01); return { x, _ in x > 0 ? 1 : a } },
        "Sigmoid": pointwise { _ in { _, y in y * (1 - y) } },
        "Tanh": pointwise { _ in { _, y in 1 - y * y } },
        "Elu": pointwise { n in let a = n.float("alpha", default: 1); return { x, y in x > 0 ? 1 : y + a } },
        "Selu": pointwise { n in
            let a = n.float("alpha", default: 1.67326319217681884765625),
                g = n.float("gamma", default: 1.05070102214813232421875)
            return { x, _ in x > 0 ? g : g * a * Foundation.exp(x) }
        },
        "Softplus": pointwise { _ in { x, _ in x > 20 ? 1 : 1 / (1 + Foundation.exp(-x)) } },
        "HardSigmoid": pointwise { n in
            let a = n.float("alpha", default: 0.2), b = n.float("beta", default: 0.5)
            return { x, _ in a * x + b > 0 && a * x + b < 1 ? a : 0 }
        },
        "HardSwish": pointwise { _ in { x, _ in x < -3 ? 0 : (x > 3 ? 1 : x / 3 + 0.5) } },
        "Exp": pointwise { _ in { _, y in y } },
        "Erf": pointwise { _ in { x, _ in 2 / Float.pi.squareRoot() * Foundation.exp(-x * x) } },
        "Gelu": pointwise { n in
            if n.string("approximate", default: "none") == "tanh" {
                // y = x/2 · (1 + tanh u), u = c · (x + 0.044715 x³)
                let c = (2 / Float.pi).squareRoot()
                return { x, _ in
                    let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
                    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
                }
            }
            // Φ(x) + x·φ(x)
            return { x, _ in
                0.5 * (1 + Foundation.erf(x * Float(0.5).squareRoot()))
                    + x * Foundation.exp(-0.5 * x * x) / (2 * Float.pi).squareRoot()
            }
        },
        "Sqrt": pointwise { _ in { _, y in 0.5 / y } },
        "Neg": pointwise { _ in { _, _ in -1 } },
        "Abs": pointwise { _ in { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) } },
        "Identity": GradientRule { c in [c.gradient()] },
        "Clip": GradientRule(inputs: [0]) { c in
            let lo = c.opset >= 11 ? (optional(c.inputs, 1)?.scalar ?? -.infinity)
                : c.node.float("min", default: -.infinity)
            let hi = c.opset >= 11 ? (optional(c.inputs, 2)?.scalar ?? .infinity)
                : c.node.float("max", default: .infinity)
            return [zipValues(try c.input(0), c.gradient()) { x, g in x >= lo && x <= hi ? g : 0 }]
        },
        "Dropout": GradientRule(inputs: [0]) { c in
            // Training keeps the mask already scaled by 1 / (1 − ratio); inference is the identity.
            guard let mask = c.saved.first else { return [c.gradient()] }
            return [zipValues(c.gradient(), mask, *)]
        },
        "PRelu": binaryRule { g, x, slope in x >= 0 ? (g, 0) : (g * slope, g * x) },
        "Add": binaryRule { g, _, _ in (g, g) },
        "Sub": binaryRule { g, _, _ in (g, -g) },
        "Mul": binaryRule { g, a, b in (g * b, g * a) },
        "Div": binaryRule { g, a, b in (g / b, -g * a / (b * b)) },
        "Softmax": GradientRule(inputs: [0]) { c in [try softmaxBackward(c, log: false)] },
        "LogSoftmax": GradientRule(inputs: [0]) { c in [try softmaxBackward(c, log: true)] },
        "Cast": GradientRule(inputs: [0]) { c in
            // Only casts between floating-point types pass a gradient.
            [[1, 10, 11].contains(c.node.int("to", default: 1)) ? c.gradient() : nil]
        },
    ]

    /// Guided backpropagation's Relu (Springenberg et al.): only positive gradients pass, and only where
    /// the input was positive. Not a derivative: `BackwardRules.guided` puts it in place of "Relu".
    static let guidedRelu = GradientRule(inputs: [0]) { c in
        [zipValues(try c.input(0), c.gradient()) { x, g in x > 0 && g > 0 ? g : 0 }]
    }

    /// Softmax: dx = y · (g − Σ g·y); log-softmax: dx = g − softmax · Σ g, along each line.
    static func softmaxBackward(_ c: BackwardContext, log: Bool) throws -> Tensor {
        let y = c.outputs[0], g = c.gradient()
        let (outer, len, inner) = try softmaxLines(c.node, shape: y.shape, c.opset)
        return y.storage.withUnsafeBufferPointer { yp in g.storage.withUnsafeBufferPointer { gp in
            makeTensor(shape: y.shape) { dx in
                for o in 0..<outer { for i in 0..<inner {
                    let base = o * len * inner + i
                    var sum: Float = 0
                    for k in 0..<len { let j = base + k * inner; sum += log ? gp[j] : gp[j] * yp[j] }
                    for k in 0..<len {
                        let j = base + k * inner
                        dx[j] = log ? gp[j] - Foundation.exp(yp[j]) * sum : yp[j] * (gp[j] - sum)
                    }
                } }
            }
        } }
    }

    /// Dropout in training: each value kept with probability 1 − ratio and scaled by 1 / (1 − ratio);
    /// the scaled mask is kept for the backward pass.
    static let training: [String: TrainingOperator] = [
        "Dropout": { node, inputs, opset, random in
            let x = try required(inputs, 0, node)
            let ratio = opset >= 12 ? (optional(inputs, 1)?.scalar ?? 0.5) : node.float("ratio", default: 0.5)
            guard ratio >= 0 && ratio < 1 else { throw ModelError.node(node, "ratio \(ratio) is not in [0, 1)") }
            let scale = 1 / (1 - ratio)
            let mask = makeTensor(shape: x.shape) { m in
                for i in 0..<m.count { m[i] = random.unit() < ratio ? 0 : scale }
            }
            var outputs = [zipValues(x, mask, *)]
            if node.outputs.count > 1 { outputs.append(mapValues(mask) { $0 > 0 ? 1 : 0 }) }
            return TrainingForward(outputs: outputs, saved: [mask])
        },
    ]
}
