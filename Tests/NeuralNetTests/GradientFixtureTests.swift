import Foundation
import ImageCodecs
import NeuralNet
import Testing
import Tensors

/// Backpropagation over whole graphs against PyTorch's autograd: the loss, dLoss/dInput and
/// dLoss/dWeight in training mode (batch statistics), one SGD step's weights and batch norm's running
/// statistics, from fixtures that scripts/make-gradient-fixtures.py writes with PyTorch.
struct GradientCase: Decodable, CustomTestStringConvertible, Sendable {
    let name: String, loss: String, label_smoothing: Float, lr: Float, loss_value: Float
    let parameters: [String: String], buffers: [String: String], ops: [String]
    var testDescription: String { name }

    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gradients")
    static let all: [GradientCase] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode([GradientCase].self, from: data)
    }()

    func npy(_ file: String) throws -> Tensor {
        let url = Self.dir.appendingPathComponent(name).appendingPathComponent(file)
        return try NPYCodec.decode([UInt8](try Data(contentsOf: url)), path: file, imageShape: false)
    }
}

/// The largest difference relative to the largest expected magnitude.
func relativeError(_ got: Tensor, _ want: Tensor) -> Float {
    guard got.shape == want.shape else { return .infinity }
    return got.maxAbsDifference(want) / max(want.storage.map(abs).max() ?? 0, 1e-6)
}

@Suite struct GradientFixtureTests {
    @Test(arguments: GradientCase.all)
    func matchesPyTorch(_ c: GradientCase) throws {
        let graph = try ONNXLoader.load(path: GradientCase.dir.appendingPathComponent(c.name)
                                        .appendingPathComponent("model.onnx").path)
        let input = try c.npy("input.npy"), labels = try c.npy("labels.npy").storage.map { Int($0) }
        let sources = Set(c.parameters.keys).union(["input"])
        for path in ConvOps.Path.allCases {
            let backprop = try Backpropagation(graph, sources: sources, convolutions: path)
            #expect(backprop.unreached.isEmpty, "no gradient reaches \(backprop.unreached)")
            let pass = try backprop.forward(["input": input], training: true)
            let output = try #require(pass.output(graph.outputs[0]))
            let loss: Loss.Value
            switch c.loss {
            case "mse": loss = Loss.meanSquaredError(output, target: try c.npy("target.npy"))
            case "nll": loss = Loss.negativeLogLikelihood(logProbabilities: output, labels: labels)
            default: loss = Loss.crossEntropy(logits: output, labels: labels, smoothing: c.label_smoothing)
            }
            #expect(abs(loss.loss - c.loss_value) <= 1e-4 * max(1, abs(c.loss_value)), "loss \(loss.loss) (\(path))")
            let grads = try backprop.backward(pass, outputGradients: [graph.outputs[0]: loss.gradient])
            let inputError = relativeError(grads["input"]!, try c.npy("grad_input.npy"))
            #expect(inputError <= 1e-4, "dLoss/dInput: relative error \(inputError) (\(path))")
            for name in c.parameters.keys.sorted() {
                let g = try #require(grads[name])
                let error = relativeError(g, try c.npy("grads/\(name).npy"))
                #expect(error <= 1e-4, "dLoss/d\(name): relative error \(error) (\(path))")
                // One SGD step.
                let w = graph.initializers[name]!
                let stepped = Tensor(shape: w.shape, values: zip(w.storage, g.storage).map { $0 - c.lr * $1 })
                let stepError = relativeError(stepped, try c.npy("after/\(name).npy"))
                #expect(stepError <= 1e-4, "\(name) after one step: relative error \(stepError) (\(path))")
            }
            for name in c.buffers.keys.sorted() {
                let updated = try #require(pass.updates[name], "\(name) was not updated")
                let error = relativeError(updated, try c.npy("after/\(name).npy"))
                #expect(error <= 1e-4, "\(name) after one step: relative error \(error) (\(path))")
            }
        }
    }

    @Test func casesCoverTheNetworkShapes() {
        let ops = Set(GradientCase.all.flatMap(\.ops))
        for op in ["Conv", "BatchNormalization", "Add", "Concat", "Gemm", "MatMul",
                   "MaxPool", "AveragePool", "Split", "Pad"] {
            #expect(ops.contains(op), "no fixture exercises \(op)")
        }
    }
}
