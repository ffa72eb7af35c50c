import Foundation
import Tensors

/// Comparisons, boolean logic, selection and the remainder, broadcasting as NumPy does. Booleans are
/// held as 0 and 1 and integers as whole Float32 values, as Cast makes them (exact up to 2^24).
enum LogicOps {
    static let table: [String: Operator] = [
        "Equal": comparison(==),
        "Less": comparison(<),
        "Greater": comparison(>),
        "LessOrEqual": comparison(<=),
        "GreaterOrEqual": comparison(>=),
        "And": logical { $0 && $1 },
        "Or": logical { $0 || $1 },
        "Xor": logical { $0 != $1 },
        "Not": { node, inputs, _ in [mapValues(try required(inputs, 0, node)) { $0 != 0 ? 0 : 1 }] },
        "Where": select,
        "Mod": mod,
    ]

    static func comparison(_ f: @escaping (Float, Float) -> Bool) -> Operator {
        return { node, inputs, _ in
            [try elementwise(try required(inputs, 0, node), try required(inputs, 1, node), node: node) {
                f($0, $1) ? 1 : 0
            }]
        }
    }

    static func logical(_ f: @escaping (Bool, Bool) -> Bool) -> Operator {
        comparison { f($0 != 0, $1 != 0) }
    }

    /// Where(condition, X, Y): X where the condition holds, else Y, all three broadcast together.
    static func select(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let c = try required(inputs, 0, node), x = try required(inputs, 1, node), y = try required(inputs, 2, node)
        guard let xy = broadcastShape(x.shape, y.shape), let shape = broadcastShape(c.shape, xy) else {
            throw ModelError.node(node, "shapes \(c.shape), \(x.shape) and \(y.shape) do not broadcast")
        }
        _ = try MemoryBudget.count(shape, "the broadcast result", node: node)
        return [zipValues(broadcast(c, to: shape), broadcast(x, to: shape), broadcast(y, to: shape)) {
            $0 != 0 ? $1 : $2
        }]
    }

    /// fmod 1: the remainder of truncated division, with the dividend's sign (C's fmod). fmod 0: the
    /// remainder of floored division, with the divisor's sign, which ONNX defines for integers only.
    static func mod(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let a = try required(inputs, 0, node), b = try required(inputs, 1, node)
        switch node.int("fmod", default: 0) {
        case 1:
            return [try elementwise(a, b, node: node) { Foundation.fmod($0, $1) }]
        case 0:
            guard node.int(integerArithmetic, default: 0) == 1 else {
                throw ModelError.node(node, "fmod 0 is defined for integer tensors only (a floating-point Mod "
                                      + "needs fmod 1)")
            }
            guard !b.storage.contains(0) else { throw ModelError.node(node, "integer division by zero") }
            return [try elementwise(a, b, node: node) { x, y in
                let r = Foundation.fmod(x, y)
                return r != 0 && (r < 0) != (y < 0) ? r + y : r
            }]
        case let other:
            throw ModelError.node(node, "fmod \(other) is neither 0 nor 1")
        }
    }

    // MARK: Backward

    static let gradients: [String: GradientRule] = {
        var t: [String: GradientRule] = [:]
        for name in ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not"] {
            t[name] = .constant
        }
        // dX is dY where the condition holds, dY zero elsewhere, each summed back to its operand's shape.
        t["Where"] = GradientRule(inputs: [1, 2]) { c in
            let g = c.gradient(), condition = broadcast(try c.input(0), to: g.shape)
            func share(_ i: Int, where holds: Bool) throws -> Tensor? {
                guard c.wants(i) else { return nil }
                return unbroadcast(zipValues(condition, g) { ($0 != 0) == holds ? $1 : 0 }, to: try c.input(i).shape)
            }
            return [nil, try share(1, where: true), try share(2, where: false)]
        }
        return t
    }()
}
