import Explain
import Foundation
import ImageCodecs
import NeuralNet
import Testing
import Tensors

/// Explanations against PyTorch (saliency from autograd, Grad-CAM from hooks and the published formula,
/// written by scripts/make-gradient-fixtures.py) and against integrated gradients' completeness.
struct ExplainCase: Decodable, CustomTestStringConvertible, Sendable {
    let name: String
    let top_classes: [Int]?
    let gradcam_layer: String?
    /// guided.npy holds PyTorch's guided backpropagation (every Relu of the model an nn.ReLU module).
    let guided: Bool?
    var testDescription: String { name }

    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../NeuralNetTests/Fixtures/gradients").standardized
    static let all: [ExplainCase] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode([ExplainCase].self, from: data).filter { $0.top_classes != nil }
    }()

    func npy(_ file: String) throws -> Tensor {
        let url = Self.dir.appendingPathComponent(name).appendingPathComponent(file)
        return try NPYCodec.decode([UInt8](try Data(contentsOf: url)), path: file, imageShape: false)
    }
    var model: String { Self.dir.appendingPathComponent(name).appendingPathComponent("model.onnx").path }

    /// Item `i` of a batch tensor, with a batch dimension of 1.
    static func item(_ t: Tensor, _ i: Int) -> Tensor {
        let per = t.count / t.shape[0]
        return Tensor(shape: [1] + Array(t.shape.dropFirst()), values: Array(t.storage[(i * per)..<((i + 1) * per)]))
    }
}

func relativeError(_ got: Tensor, _ want: Tensor) -> Float {
    guard got.count == want.count else { return .infinity }
    let scale = max(want.storage.map(abs).max() ?? 0, 1e-6)
    return zip(got.storage, want.storage).map { abs($0 - $1) }.max()! / scale
}

@Suite struct ExplainTests {
    @Test(arguments: ExplainCase.all)
    func saliencyAndGradCAMMatchPyTorch(_ c: ExplainCase) throws {
        var graph = try ONNXLoader.load(path: c.model)
        graph.inputs[0].shape[0] = 1  // one item at a time, as the CLI explains one photo
        let explainer = try Explainer(graph)
        let x = try c.npy("input.npy"), saliency = try c.npy("saliency.npy"), cams = try c.npy("gradcam.npy")
        for (i, target) in c.top_classes!.enumerated() {
            let xi = ExplainCase.item(x, i)
            let scores = try explainer.scores(xi)
            #expect(scores.indices.max { scores[$0] < scores[$1] } == target, "item \(i)")
            let s = try explainer.saliency(xi, target: target)
            #expect(relativeError(s, ExplainCase.item(saliency, i)) <= 1e-4, "saliency, item \(i)")
            let cam = try explainer.gradCAM(xi, target: target, layer: c.gradcam_layer!)
            #expect(relativeError(cam, ExplainCase.item(cams, i)) <= 1e-4, "Grad-CAM, item \(i)")
        }
    }

    /// Guided backpropagation against PyTorch's, made with hooks on the ReLU modules; on the models
    /// without a Relu it is the saliency.
    @Test(arguments: ExplainCase.all.filter { $0.guided == true })
    func guidedBackpropagationMatchesPyTorch(_ c: ExplainCase) throws {
        var graph = try ONNXLoader.load(path: c.model)
        graph.inputs[0].shape[0] = 1
        let explainer = try Explainer(graph)
        let x = try c.npy("input.npy"), guided = try c.npy("guided.npy"), saliency = try c.npy("saliency.npy")
        let relus = graph.nodes.contains { $0.opType == "Relu" }
        for (i, target) in c.top_classes!.enumerated() {
            let g = try explainer.guided(ExplainCase.item(x, i), target: target)
            #expect(relativeError(g, ExplainCase.item(guided, i)) <= 1e-4, "item \(i)")
            // Where there are Relus the reference differs from the gradient, so the test tells them apart.
            if relus { #expect(relativeError(g, ExplainCase.item(saliency, i)) > 0.05, "item \(i)") }
        }
    }

    /// The attributions add up to score(x) − score(baseline): within 1 % at 64 steps.
    @Test func integratedGradientsAreComplete() throws {
        let c = ExplainCase.all.first { $0.name == "residual" }!
        var graph = try ONNXLoader.load(path: c.model)
        graph.inputs[0].shape[0] = 1
        let explainer = try Explainer(graph)
        let x = ExplainCase.item(try c.npy("input.npy"), 0), baseline = Tensor(shape: x.shape)
        let target = c.top_classes![0]
        let attributions = try explainer.integratedGradients(x, target: target, steps: 64, baseline: baseline)
        let difference = try explainer.scores(x)[target] - explainer.scores(baseline)[target]
        let total = attributions.storage.reduce(0, +)
        #expect(abs(total - difference) <= 0.01 * abs(difference), "sum \(total), score difference \(difference)")
    }

    @Test func smoothGradWithoutNoiseIsTheSaliency() throws {
        let c = ExplainCase.all.first { $0.name == "depthwise" }!
        var graph = try ONNXLoader.load(path: c.model)
        graph.inputs[0].shape[0] = 1
        let explainer = try Explainer(graph)
        let x = ExplainCase.item(try c.npy("input.npy"), 1), target = c.top_classes![1]
        let smooth = try explainer.smoothGrad(x, target: target, samples: 3, noise: 0, seed: 1)
        #expect(relativeError(smooth, ExplainCase.item(try c.npy("saliency.npy"), 1)) <= 1e-4)
        let noisy = try explainer.smoothGrad(x, target: target, samples: 3, noise: 0.2, seed: 1)
        #expect(relativeError(noisy, smooth) > 1e-3)
    }

    @Test func badTargetsAndLayersAreNamed() throws {
        let c = ExplainCase.all.first { $0.name == "residual" }!
        var graph = try ONNXLoader.load(path: c.model)
        graph.inputs[0].shape[0] = 1
        let explainer = try Explainer(graph)
        let x = ExplainCase.item(try c.npy("input.npy"), 0)
        #expect { try explainer.saliency(x, target: 5) } throws: {
            "\($0)".contains("class 5 is out of range: the model has 5 classes")
        }
        #expect { try explainer.value(named: "nosuch") } throws: { "\($0)".contains("no layer 'nosuch'") }
        // The logits are a value of the graph but not maps.
        #expect { try explainer.gradCAM(x, target: 0, layer: graph.outputs[0]) } throws: {
            "\($0)".contains("not N×C×H×W maps")
        }
        #expect(try explainer.defaultLayer() == c.gradcam_layer)
    }
}
