import Foundation
import NeuralNet
import Testing
import Tensors

/// Modes, attributes and values an operator does not implement are errors naming the node and the value,
/// never an approximation; operators a model cannot use are all named at once.
@Suite struct OperatorRefusalTests {
    /// Runs one node on `inputs` (graph inputs, in order x0, x1, …) and returns the error's text.
    func refusal(_ op: String, _ attributes: [String: Attribute] = [:], _ inputs: [Tensor],
                 constants: [String: Tensor] = [:], opset: Int = 18) -> String? {
        let names = inputs.indices.map { "x\($0)" } + constants.keys.sorted()
        let node = Node(name: "n", opType: op, inputs: names, outputs: ["y"], attributes: attributes)
        let graph = Graph(nodes: [node], initializers: constants,
                          inputs: zip(names, inputs).map { ValueInfo(name: $0, shape: $1.shape) },
                          outputs: ["y"], opset: opset)
        do {
            _ = try ModelRunner(graph).run(Dictionary(uniqueKeysWithValues: zip(names, inputs)))
            return nil
        } catch { return "\(error)" }
    }

    let matrix = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])

    @Test(arguments: [
        ("ii->i", [[3, 3]], "a label repeated within an operand (a diagonal) is not implemented"),
        ("...ij,...jk->...ik", [[2, 3], [3, 2]], "ellipses ('...') are not implemented"),
        ("ij,jk,kl->il", [[2, 2], [2, 2], [2, 2]], "3 operands (one or two are implemented)"),
        ("ij->i", [[2, 3]], "only a permutation of one operand is implemented"),
        ("ij,jk->j", [[2, 3], [3, 2]], "label 'i' is summed over one operand only, which is not implemented"),
        ("Ab,bc", [[2, 3], [3, 2]], "an implicit output with upper and lower case labels has no agreed order"),
        ("ij,jk->ik", [[2, 3], [4, 2]], "label 'j' is both 3 and 4 long"),
        ("ij,jk->iz", [[2, 3], [3, 2]], "output label 'z' is in no operand"),
    ])
    func einsumEquationsOutsideTheImplementedOnesAreNamed(_ equation: String, _ shapes: [[Int]], _ why: String) {
        let inputs = shapes.map { Tensor(shape: $0, repeating: 1) }
        let error = refusal("Einsum", ["equation": .string(equation)], inputs)
        #expect(error == "node 'n' (Einsum): equation '\(equation)': \(why)")
    }

    @Test func attributeValuesOutsideTheImplementedOnesAreNamed() {
        #expect(refusal("Gelu", ["approximate": .string("fast")], [matrix], opset: 20)
                == "node 'n' (Gelu): approximate 'fast' is neither 'none' nor 'tanh'")
        #expect(refusal("Mod", ["fmod": .int(2)], [matrix, matrix]) == "node 'n' (Mod): fmod 2 is neither 0 nor 1")
        #expect(refusal("LayerNormalization", ["stash_type": .int(11)], [matrix, Tensor(shape: [3], repeating: 1)])
                == "node 'n' (LayerNormalization): stash_type 11 is not implemented (only 1, float)")
        let indices = Tensor(shape: [1, 1], values: [0]), update = Tensor(shape: [1, 3], repeating: 1)
        #expect(refusal("ScatterND", ["reduction": .string("max")], [matrix, indices, update], opset: 16)
                == "node 'n' (ScatterND): reduction 'max' is not defined at opset 16")
        #expect(refusal("ScatterND", [:], [matrix, Tensor(shape: [1, 1], values: [2]), update])
                == "node 'n' (ScatterND): index 2 is out of range for an axis of 2")
        #expect(refusal("GroupNormalization", ["num_groups": .int(4)],
                        [Tensor(shape: [1, 6, 2]), Tensor(shape: [6]), Tensor(shape: [6])], opset: 21)
                == "node 'n' (GroupNormalization): num_groups 4 does not divide 6 channels")
        let scalar = { (v: Float) in Tensor(shape: [], values: [v]) }
        #expect(refusal("Range", [:], [scalar(0), scalar(5), scalar(0)])
                == "node 'n' (Range): cannot count from 0.0 to 5.0 by 0.0")
    }

    /// Resize computes nearest and bilinear over the last two axes; other modes were once approximated.
    @Test(arguments: [
        (["mode": Attribute.string("cubic")], [1, 1, 2, 2], "mode 'cubic' is not implemented"),
        (["antialias": .int(1), "mode": .string("linear")], [1, 1, 0.5, 0.5], "antialias 1 is not implemented"),
        (["coordinate_transformation_mode": .string("tf_crop_and_resize")], [1, 1, 2, 2],
         "coordinate_transformation_mode 'tf_crop_and_resize' is not implemented"),
        (["coordinate_transformation_mode": .string("half_pixel_symmetric")], [1, 1, 2, 2],
         "coordinate_transformation_mode 'half_pixel_symmetric' is not implemented"),
        ([:], [1, 2, 2, 2], "scales [1.0, 2.0, 2.0, 2.0] resize the batch or channel axis, which is not implemented"),
    ] as [([String: Attribute], [Float], String)])
    func resizeModesOutsideTheImplementedOnesAreNamed(_ attributes: [String: Attribute], _ scales: [Float],
                                                       _ why: String) {
        let x = Tensor(shape: [1, 1, 4, 4], repeating: 1), none = Tensor(shape: [0])
        #expect(refusal("Resize", attributes, [x, none, Tensor(shape: [4], values: scales)])
                == "node 'n' (Resize): \(why)")
    }

    @Test func padModesOutsideTheImplementedOnesAreNamed() {
        #expect(refusal("Pad", ["mode": .string("wrap")], [matrix, Tensor(shape: [4], values: [0, 1, 0, 1])], opset: 19)
                == "node 'n' (Pad): mode 'wrap' is not implemented")
    }

    /// fmod 0 is ONNX's integer remainder: a Mod of floating-point tensors needs fmod 1. Integer Div
    /// and Mod by zero are errors (C leaves them undefined).
    @Test func integerModRefusesFloatsAndZeroDivisors() {
        #expect(refusal("Mod", [:], [matrix, matrix])
                == "node 'n' (Mod): fmod 0 is defined for integer tensors only (a floating-point Mod needs fmod 1)")
        let integer: [String: Attribute] = ["cnnfilter.integer": .int(1)]
        for op in ["Mod", "Div"] {
            #expect(refusal(op, integer, [matrix, Tensor(shape: [3], values: [1, 0, 2])])
                    == "node 'n' (\(op)): integer division by zero")
        }
    }

    /// Every operator the runner cannot run is in one line, grouped by operator in the order of the nodes;
    /// an operator newer than the model's opset is one of them.
    @Test func unsupportedOperatorsAreAllNamedAtOnce() {
        let nodes = [Node(name: "a", opType: "FancyOp", inputs: ["x"], outputs: ["a"]),
                     Node(name: "b", opType: "Relu", inputs: ["a"], outputs: ["b"]),
                     Node(name: "c", opType: "Other", inputs: ["b"], outputs: ["c"]),
                     Node(name: "d", opType: "FancyOp", inputs: ["c"], outputs: ["d"]),
                     Node(name: "e", opType: "Gelu", inputs: ["d"], outputs: ["y"])]
        let graph = Graph(nodes: nodes, initializers: [:], inputs: [ValueInfo(name: "x", shape: [1])],
                          outputs: ["y"], opset: 13)
        do { _ = try ModelRunner(graph); Issue.record("accepted") } catch {
            #expect("\(error)" == "3 unsupported operators (opset 13): FancyOp in node 'a' (and 1 more), "
                    + "Other in node 'c', Gelu in node 'e': defined from opset 20 on")
        }
    }
}
