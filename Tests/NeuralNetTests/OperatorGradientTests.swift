import Foundation
import NeuralNet
import Testing
import Tensors

/// Each operator's backward pass against central finite differences of its forward pass: only the
/// forward pass is trusted, through the loss L = Σ r·y for fixed random r (one r per output).
struct GradientCheck: CustomTestStringConvertible, Sendable {
    let name: String
    let op: String
    /// Inputs that get gradients, with their shapes, in the node's input order; "" skips an input.
    let inputs: [(String, [Int])]
    var attributes: [String: Attribute] = [:]
    /// Constant inputs (shapes, axes, bounds, statistics), in the node's input order after `inputs`.
    var constants: [(String, Tensor)] = []
    var outputs = 1
    var opset = 17
    var training = false
    /// Values spread apart (max and order-sensitive operators stay differentiable under the step).
    var distinct = false
    /// Values in [0.5, 1.5] (divisors, square roots).
    var positive: Set<String> = []
    var testDescription: String { name }

    /// Operators with a kink at 0 (or at their bounds) take `distinct` values, none within the step of it.
    static func unary(_ op: String, _ attributes: [String: Attribute] = [:], positive: Bool = false) -> GradientCheck {
        GradientCheck(name: op, op: op, inputs: [("x", [2, 3, 4])], attributes: attributes,
                      distinct: ["Relu", "LeakyRelu", "Elu", "Selu", "Abs"].contains(op),
                      positive: positive ? ["x"] : [])
    }

    static func c(_ values: [Float], _ shape: [Int]? = nil) -> Tensor {
        Tensor(shape: shape ?? [values.count], values: values)
    }

    static let all: [GradientCheck] = [
        GradientCheck(name: "Conv 3x3 pad 1", op: "Conv",
                      inputs: [("x", [2, 3, 6, 6]), ("w", [4, 3, 3, 3]), ("b", [4])],
                      attributes: ["pads": .ints([1, 1, 1, 1])]),
        GradientCheck(name: "Conv 8 filters, strides 2x1, dilations 2x1, uneven pads", op: "Conv",
                      inputs: [("x", [2, 3, 9, 9]), ("w", [8, 3, 3, 3]), ("b", [8])],
                      attributes: ["strides": .ints([2, 1]), "dilations": .ints([2, 1]), "pads": .ints([1, 0, 2, 1])]),
        GradientCheck(name: "Conv 8 filters, dilation 2, uneven pads, stride 1", op: "Conv",
                      inputs: [("x", [2, 3, 7, 8]), ("w", [8, 3, 3, 2]), ("b", [8])],
                      attributes: ["dilations": .ints([2, 2]), "pads": .ints([2, 0, 1, 2])]),
        GradientCheck(name: "Conv 16 filters 3x3 pad 1 (Winograd)", op: "Conv",
                      inputs: [("x", [2, 8, 6, 6]), ("w", [16, 8, 3, 3])],
                      attributes: ["pads": .ints([1, 1, 1, 1])]),
        // 576 taps: the weight gradient unrolls each item's 256 pixels in two blocks (GEMMConv.weightGradient).
        GradientCheck(name: "Conv 64 channels, weight gradient over pixel blocks", op: "Conv",
                      inputs: [("x", [2, 64, 16, 16]), ("w", [8, 64, 3, 3]), ("b", [8])],
                      attributes: ["pads": .ints([1, 1, 1, 1])]),
        GradientCheck(name: "Conv depthwise stride 1", op: "Conv", inputs: [("x", [2, 6, 5, 5]), ("w", [6, 1, 3, 3])],
                      attributes: ["group": .int(6), "pads": .ints([1, 1, 1, 1])]),
        GradientCheck(name: "Conv 2 groups", op: "Conv", inputs: [("x", [1, 4, 5, 5]), ("w", [6, 2, 3, 3])],
                      attributes: ["group": .int(2)]),
        GradientCheck(name: "Conv depthwise stride 2", op: "Conv",
                      inputs: [("x", [2, 4, 6, 6]), ("w", [4, 1, 3, 3]), ("b", [4])],
                      attributes: ["group": .int(4), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
        GradientCheck(name: "Conv 1x1", op: "Conv", inputs: [("x", [2, 5, 4, 4]), ("w", [7, 5, 1, 1]), ("b", [7])]),
        GradientCheck(name: "Conv SAME_UPPER stride 2", op: "Conv", inputs: [("x", [1, 2, 5, 5]), ("w", [6, 2, 2, 2])],
                      attributes: ["auto_pad": .string("SAME_UPPER"), "strides": .ints([2, 2])]),
        GradientCheck(name: "Gemm transB alpha beta", op: "Gemm", inputs: [("a", [3, 4]), ("b", [5, 4]), ("c", [5])],
                      attributes: ["transB": .int(1), "alpha": .float(0.5), "beta": .float(2)]),
        GradientCheck(name: "Gemm transA", op: "Gemm", inputs: [("a", [4, 3]), ("b", [4, 5]), ("c", [3, 5])],
                      attributes: ["transA": .int(1)]),
        GradientCheck(name: "Gemm transA transB, one row", op: "Gemm", inputs: [("a", [4, 1]), ("b", [5, 4])],
                      attributes: ["transA": .int(1), "transB": .int(1)]),
        GradientCheck(name: "MatMul batched", op: "MatMul", inputs: [("a", [2, 3, 4]), ("b", [4, 5])]),
        GradientCheck(name: "MatMul broadcast batch", op: "MatMul", inputs: [("a", [2, 1, 3, 4]), ("b", [3, 4, 2])]),
        GradientCheck(name: "MatMul vector", op: "MatMul", inputs: [("a", [4]), ("b", [2, 4, 3])]),
        GradientCheck(name: "BatchNormalization training", op: "BatchNormalization",
                      inputs: [("x", [3, 2, 3, 3]), ("scale", [2]), ("bias", [2])],
                      constants: [("mean", c([0.1, -0.2])), ("var", c([1.5, 0.7]))], training: true),
        GradientCheck(name: "BatchNormalization inference", op: "BatchNormalization",
                      inputs: [("x", [3, 2, 3, 3]), ("scale", [2]), ("bias", [2])],
                      constants: [("mean", c([0.1, -0.2])), ("var", c([1.5, 0.7]))]),
        unary("Relu"), unary("LeakyRelu", ["alpha": .float(0.2)]), unary("Elu", ["alpha": .float(0.7)]), unary("Selu"),
        unary("Sigmoid"), unary("Tanh"), unary("Softplus"), unary("HardSigmoid"), unary("HardSwish"), unary("Exp"),
        unary("Abs"), unary("Neg"), unary("Sqrt", positive: true), unary("Identity"),
        GradientCheck(name: "Clip", op: "Clip", inputs: [("x", [2, 3, 4])],
                      constants: [("lo", c([-0.5], [])), ("hi", c([0.4], []))],
                      distinct: true),
        GradientCheck(name: "Clip opset 6", op: "Clip", inputs: [("x", [2, 3, 4])],
                      attributes: ["min": .float(-0.3), "max": .float(0.6)], opset: 6, distinct: true),
        GradientCheck(name: "PRelu per channel", op: "PRelu", inputs: [("x", [2, 3, 4, 4]), ("slope", [3, 1, 1])],
                      distinct: true),
        GradientCheck(name: "Add broadcast", op: "Add", inputs: [("a", [2, 3, 4]), ("b", [3, 1])]),
        GradientCheck(name: "Sub broadcast", op: "Sub", inputs: [("a", [4]), ("b", [2, 3, 4])]),
        GradientCheck(name: "Mul broadcast", op: "Mul", inputs: [("a", [2, 3, 4]), ("b", [2, 1, 4])]),
        GradientCheck(name: "Div broadcast", op: "Div", inputs: [("a", [2, 3, 4]), ("b", [3, 1])], positive: ["b"]),
        GradientCheck(name: "MaxPool 3x3 stride 2 pad 1", op: "MaxPool", inputs: [("x", [2, 2, 7, 7])],
                      attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]),
                                   "pads": .ints([1, 1, 1, 1])],
                      distinct: true),
        GradientCheck(name: "MaxPool dilated ceil", op: "MaxPool", inputs: [("x", [1, 2, 7, 6])],
                      attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "dilations": .ints([2, 1]),
                                   "ceil_mode": .int(1)], distinct: true),
        GradientCheck(name: "AveragePool pad excluded", op: "AveragePool", inputs: [("x", [2, 2, 6, 6])],
                      attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]),
                                   "pads": .ints([1, 1, 1, 1])]),
        GradientCheck(name: "AveragePool pad included, ceil", op: "AveragePool", inputs: [("x", [1, 2, 6, 5])],
                      attributes: ["kernel_shape": .ints([3, 2]), "strides": .ints([2, 2]), "pads": .ints([1, 0, 1, 1]),
                                   "count_include_pad": .int(1), "ceil_mode": .int(1)]),
        GradientCheck(name: "GlobalAveragePool", op: "GlobalAveragePool", inputs: [("x", [2, 3, 4, 5])]),
        GradientCheck(name: "GlobalMaxPool", op: "GlobalMaxPool", inputs: [("x", [2, 3, 4, 5])], distinct: true),
        GradientCheck(name: "Concat", op: "Concat", inputs: [("a", [2, 2, 3]), ("b", [2, 3, 3]), ("c", [2, 1, 3])],
                      attributes: ["axis": .int(1)]),
        GradientCheck(name: "Split", op: "Split", inputs: [("x", [2, 6, 2])], attributes: ["axis": .int(1)],
                      constants: [("sizes", c([1, 2, 3]))], outputs: 3),
        GradientCheck(name: "Flatten", op: "Flatten", inputs: [("x", [2, 3, 4, 2])], attributes: ["axis": .int(2)]),
        GradientCheck(name: "Reshape", op: "Reshape", inputs: [("x", [2, 3, 4])], constants: [("shape", c([-1, 6]))]),
        GradientCheck(name: "Transpose", op: "Transpose", inputs: [("x", [2, 3, 4, 5])],
                      attributes: ["perm": .ints([0, 2, 3, 1])]),
        GradientCheck(name: "Squeeze", op: "Squeeze", inputs: [("x", [2, 1, 3])], constants: [("axes", c([1]))]),
        GradientCheck(name: "Unsqueeze", op: "Unsqueeze", inputs: [("x", [2, 3])], constants: [("axes", c([0, 3]))]),
        GradientCheck(name: "Pad constant", op: "Pad", inputs: [("x", [1, 2, 3, 3])],
                      constants: [("pads", c([0, 0, 1, 2, 0, 0, 2, 1]))]),
        GradientCheck(name: "Pad reflect", op: "Pad", inputs: [("x", [1, 2, 4, 3])],
                      attributes: ["mode": .string("reflect")],
                      constants: [("pads", c([0, 0, 2, 1, 0, 0, 1, 2]))]),
        GradientCheck(name: "Pad edge", op: "Pad", inputs: [("x", [1, 2, 3, 3])], attributes: ["mode": .string("edge")],
                      constants: [("pads", c([0, 0, 2, 2, 0, 0, 1, 3]))]),
        GradientCheck(name: "Slice negative step", op: "Slice", inputs: [("x", [3, 5, 4])],
                      constants: [("starts", c([-1, 1])), ("ends", c([-10, 5])),
                                  ("axes", c([0, 1])), ("steps", c([-1, 2]))]),
        GradientCheck(name: "Softmax axis 1", op: "Softmax", inputs: [("x", [2, 4, 3])], attributes: ["axis": .int(1)]),
        GradientCheck(name: "Softmax opset 11 flattened", op: "Softmax", inputs: [("x", [2, 4, 3])], opset: 11),
        GradientCheck(name: "LogSoftmax", op: "LogSoftmax", inputs: [("x", [2, 4, 3])]),
        GradientCheck(name: "ReduceMean axes 1, 2 no keepdims", op: "ReduceMean", inputs: [("x", [2, 3, 4])],
                      attributes: ["axes": .ints([1, 2]), "keepdims": .int(0)]),
        GradientCheck(name: "ReduceMean all", op: "ReduceMean", inputs: [("x", [2, 3, 4])]),
        GradientCheck(name: "ReduceSum axes input", op: "ReduceSum", inputs: [("x", [2, 3, 4])],
                      constants: [("axes", c([1]))]),
        GradientCheck(name: "ReduceL2 last axis", op: "ReduceL2", inputs: [("x", [2, 3, 4])],
                      attributes: ["axes": .ints([-1]), "keepdims": .int(0)]),
        GradientCheck(name: "Erf", op: "Erf", inputs: [("x", [2, 3, 4])]),
        GradientCheck(name: "Gelu", op: "Gelu", inputs: [("x", [2, 3, 4])], opset: 20),
        GradientCheck(name: "Gelu tanh", op: "Gelu", inputs: [("x", [2, 3, 4])],
                      attributes: ["approximate": .string("tanh")], opset: 20),
        GradientCheck(name: "LayerNormalization last axis", op: "LayerNormalization",
                      inputs: [("x", [2, 3, 5]), ("scale", [5]), ("bias", [5])]),
        GradientCheck(name: "LayerNormalization axis 1, scale broadcast, no bias", op: "LayerNormalization",
                      inputs: [("x", [2, 3, 4]), ("scale", [4])],
                      attributes: ["axis": .int(1), "epsilon": .float(1e-3)]),
        GradientCheck(name: "Einsum attention scores", op: "Einsum", inputs: [("q", [1, 2, 3, 4]), ("k", [1, 2, 5, 4])],
                      attributes: ["equation": .string("bhid,bhjd->bhij")]),
        GradientCheck(name: "Einsum permuted contraction", op: "Einsum",
                      inputs: [("a", [2, 3, 4, 2]), ("b", [4, 3, 3])],
                      attributes: ["equation": .string("abcd,cbe->eda")]),
        GradientCheck(name: "Einsum permutation", op: "Einsum", inputs: [("x", [2, 3, 4])],
                      attributes: ["equation": .string("ijk->kij")]),
        GradientCheck(name: "Gather axis 1, an index twice", op: "Gather", inputs: [("x", [2, 4, 3])],
                      attributes: ["axis": .int(1)], constants: [("idx", c([3, 0, -1], [3]))]),
        GradientCheck(name: "Expand", op: "Expand", inputs: [("x", [3, 1])], constants: [("shape", c([2, 1, 4]))]),
        // The condition gets no gradient; its distinct values lie farther than the step from 0.
        GradientCheck(name: "Where broadcast", op: "Where", inputs: [("cond", [3, 4]), ("a", [2, 3, 4]), ("b", [4])],
                      distinct: true),
        GradientCheck(name: "Dropout training", op: "Dropout", inputs: [("x", [4, 5])],
                      constants: [("ratio", c([0.3], []))],
                      training: true),
    ]

    var graph: Graph {
        let node = Node(name: name, opType: op, inputs: inputs.map(\.0) + constants.map(\.0),
                        outputs: (0..<outputs).map { "y\($0)" }, attributes: attributes)
        return Graph(nodes: [node], initializers: Dictionary(uniqueKeysWithValues: constants),
                     inputs: inputs.filter { !$0.0.isEmpty }.map { ValueInfo(name: $0.0, shape: $0.1) },
                     outputs: node.outputs, opset: opset)
    }
}

@Suite struct OperatorGradientTests {
    func random(_ shape: [Int], _ rng: inout RandomSource, distinct: Bool = false, positive: Bool = false) -> Tensor {
        let count = shape.reduce(1, *)
        if distinct {
            // 0.05 apart, shuffled, none on a multiple of 0.05 (kinks sit at 0, −0.5, 0.4, …): no two values, and
            // no value and kink, within a difference step of each other.
            var values = (0..<count).map { Float($0) * 0.05 - Float(count / 2) * 0.05 + 0.0125 }
            values.shuffle(using: &rng)
            return Tensor(shape: shape, values: values)
        }
        return Tensor(shape: shape,
                      values: (0..<count).map { _ in positive ? rng.uniform(0.5, 1.5) : rng.uniform(-1, 1) })
    }

    @Test(arguments: GradientCheck.all)
    func matchesFiniteDifferences(_ c: GradientCheck) throws {
        var rng = RandomSource(seed: 11)
        let graph = c.graph
        var feeds: [String: Tensor] = [:]
        for (name, shape) in c.inputs {
            feeds[name] = random(shape, &rng, distinct: c.distinct, positive: c.positive.contains(name))
        }
        let backprop = try Backpropagation(graph, sources: Set(feeds.keys))
        let pass = try backprop.forward(feeds, training: c.training, seed: 5)
        var r: [String: Tensor] = [:]
        for name in graph.outputs { r[name] = random(try #require(pass.output(name)).shape, &rng) }
        let grads = try backprop.backward(pass, outputGradients: r)
        func loss(_ feeds: [String: Tensor]) throws -> Double {
            let p = try backprop.forward(feeds, training: c.training, seed: 5)
            return try graph.outputs.reduce(0.0) { sum, name in
                let y = try #require(p.output(name))
                return sum + zip(y.storage, r[name]!.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
        }
        let h: Float = 1e-2
        for (name, value) in feeds.sorted(by: { $0.key < $1.key }) {
            let g = try #require(grads[name])
            #expect(g.shape == value.shape, "\(name)")
            // Up to 40 positions spread over the tensor.
            let step = max(1, value.count / 40)
            for i in stride(from: 0, to: value.count, by: step) {
                var plus = feeds, minus = feeds
                plus[name]!.storage[i] += h
                minus[name]!.storage[i] -= h
                let numeric = (try loss(plus) - loss(minus)) / Double(2 * h)
                let error = abs(Double(g.storage[i]) - numeric) / max(1, abs(numeric))
                #expect(error < 1e-2, "d/d\(name)[\(i)]: analytic \(g.storage[i]), numeric \(numeric)")
            }
        }
    }

    @Test func lossGradientsMatchFiniteDifferences() throws {
        var rng = RandomSource(seed: 3)
        let logits = random([3, 5], &rng), target = random([3, 5], &rng), labels = [4, 0, 2]
        let cases: [(String, (Tensor) -> Loss.Value)] = [
            ("cross-entropy", { Loss.crossEntropy(logits: $0, labels: labels) }),
            ("cross-entropy smoothed", { Loss.crossEntropy(logits: $0, labels: labels, smoothing: 0.2) }),
            ("nll", { Loss.negativeLogLikelihood(logProbabilities: $0, labels: labels) }),
            ("mse", { Loss.meanSquaredError($0, target: target) }),
        ]
        for (name, f) in cases {
            let g = f(logits).gradient
            for i in 0..<logits.count {
                var plus = logits, minus = logits
                plus.storage[i] += 1e-2; minus.storage[i] -= 1e-2
                let numeric = (f(plus).loss - f(minus).loss) / 2e-2
                #expect(abs(g.storage[i] - numeric) < 1e-3, "\(name)[\(i)]: \(g.storage[i]) vs \(numeric)")
            }
        }
        // Hand-computed: logits (0, ln 3) and label 1 give p = (1/4, 3/4), loss −ln(3/4).
        let two = Loss.crossEntropy(logits: Tensor(shape: [1, 2], values: [0, logf(3)]), labels: [1])
        #expect(abs(two.loss + logf(0.75)) < 1e-6 && abs(two.gradient.storage[0] - 0.25) < 1e-6)
    }

    @Test func aNodeWithoutBackwardIsRefusedByName() throws {
        let graph = Graph(nodes: [Node(name: "norm", opType: "LRN", inputs: ["x"], outputs: ["y"],
                                       attributes: ["size": .int(3)])],
                          initializers: [:], inputs: [ValueInfo(name: "x", shape: [1, 3, 2, 2])],
                          outputs: ["y"], opset: 17)
        #expect { try Backpropagation(graph, sources: ["x"]) } throws: { error in
            "\(error)".contains("'norm' (LRN) has no backward pass")
        }
    }

    @Test func weightsTheLossDoesNotReadAreNamed() throws {
        let graph = Graph(nodes: [Node(name: "a", opType: "Mul", inputs: ["x", "w"], outputs: ["y"]),
                                  Node(name: "b", opType: "Add", inputs: ["x", "v"], outputs: ["unused"])],
                          initializers: ["w": Tensor(shape: [1], values: [2]), "v": Tensor(shape: [1], values: [1])],
                          inputs: [ValueInfo(name: "x", shape: [2])], outputs: ["y"], opset: 17)
        let backprop = try Backpropagation(graph, sources: ["w", "v"])
        #expect(backprop.unreached == ["v"])
        let pass = try backprop.forward(["x": Tensor(shape: [2], values: [3, 4])], training: false)
        let grads = try backprop.backward(pass, outputGradients: ["y": Tensor(shape: [2], values: [1, 1])])
        #expect(grads["w"]?.storage == [7] && grads["v"]?.storage == [0])
    }
}
