import Foundation
import Kernels
import NeuralNet
import Tensors

/// Why a model decides: attributions of a class score to the input pixels (saliency, guided
/// backpropagation, SmoothGrad, integrated gradients) or to a layer's maps (Grad-CAM, Grad-CAM++),
/// each a function of a model, an input and a target class, computed with the runtime's backward pass
/// (`Backpropagation`) in inference mode. The class score is the model's output for that class before
/// any softmax.
public final class Explainer {
    public let graph: Graph
    public let inputName: String, outputName: String
    private let inputs: Backpropagation
    /// The backward passes to each layer Grad-CAM has explained (building one packs the model's filters).
    private var layers: [String: Backpropagation] = [:]

    public init(_ graph: Graph) throws {
        guard graph.inputs.count == 1, let output = graph.outputs.first else {
            throw ModelError("explanations need a model with one input and an output")
        }
        self.graph = graph
        inputName = graph.inputs[0].name; outputName = output
        inputs = try Backpropagation(graph, sources: [inputName], outputs: [output])
    }

    /// The model's output for `x` (one item), flattened to its class scores.
    public func scores(_ x: Tensor) throws -> [Float] {
        try inputs.forward([inputName: x], training: false).output(outputName)!.storage
    }

    /// dScore/dValue for `sources` at `x`, the class score being output `target` of the first item.
    private func gradient(_ backprop: Backpropagation, _ x: Tensor, target: Int,
                          rules: BackwardRules = .exact) throws -> (Backpropagation.Pass, [String: Tensor]) {
        let pass = try backprop.forward([inputName: x], training: false)
        let y = pass.output(outputName)!
        let classes = y.count / max(y.shape.first ?? 1, 1)
        guard target >= 0 && target < classes else {
            throw ModelError("class \(target) is out of range: the model has \(classes) classes (0…\(classes - 1))")
        }
        var seed = Tensor(shape: y.shape)
        seed.storage[target] = 1
        return (pass, try backprop.backward(pass, outputGradients: [outputName: seed], rules: rules))
    }

    /// Saliency: the gradient of the class score with respect to the input, the input's shape.
    public func saliency(_ x: Tensor, target: Int) throws -> Tensor {
        try gradient(inputs, x, target: target).1[inputName]!
    }

    /// Guided backpropagation: the saliency's backward pass with each Relu passing back only positive
    /// gradients where its input was positive (`BackwardRules.guided`), the input's shape.
    public func guided(_ x: Tensor, target: Int) throws -> Tensor {
        try gradient(inputs, x, target: target, rules: .guided).1[inputName]!
    }

    /// SmoothGrad: the saliency averaged over `samples` copies of the input with Gaussian noise of
    /// standard deviation `noise` × (the input's max − min), drawn from `seed`.
    public func smoothGrad(_ x: Tensor, target: Int, samples: Int, noise: Float, seed: UInt64) throws -> Tensor {
        let spread = (x.storage.max() ?? 0) - (x.storage.min() ?? 0), sigma = noise * spread
        var rng = RandomSource(seed: seed)
        var sum = Tensor(shape: x.shape)
        for _ in 0..<max(1, samples) {
            let noisy = Tensor(shape: x.shape, values: x.storage.map { $0 + sigma * rng.normal() })
            let g = try saliency(noisy, target: target)
            for i in 0..<sum.count { sum.storage[i] += g.storage[i] }
        }
        return Tensor(shape: x.shape, values: sum.storage.map { $0 / Float(max(1, samples)) })
    }

    /// Integrated gradients: (x − baseline) times the mean gradient along the straight path from the
    /// baseline to x, at the midpoints of `steps` equal segments. The attributions add up to
    /// score(x) − score(baseline) as the steps grow (the method's completeness).
    public func integratedGradients(_ x: Tensor, target: Int, steps: Int, baseline: Tensor) throws -> Tensor {
        precondition(baseline.shape == x.shape, "baseline \(baseline.shape) for input \(x.shape)")
        var sum = Tensor(shape: x.shape)
        let n = max(1, steps)
        for k in 0..<n {
            let t = (Float(k) + 0.5) / Float(n)
            let point = Tensor(shape: x.shape, values: zip(baseline.storage, x.storage).map { $0 + t * ($1 - $0) })
            let g = try saliency(point, target: target)
            for i in 0..<sum.count { sum.storage[i] += g.storage[i] }
        }
        return Tensor(shape: x.shape, values: (0..<x.count).map {
            (x.storage[$0] - baseline.storage[$0]) * sum.storage[$0] / Float(n)
        })
    }

    /// Grad-CAM on the maps `layer` (a value of the graph, C×h×w per item): ReLU(Σ_k α_k A_k) with α_k
    /// the spatial mean of dScore/dA_k; Grad-CAM++ weighs each position's positive gradient by
    /// g² / (2g² + Σ A·g³) instead (Chattopadhay et al.). One h×w map, before any upsampling.
    public func gradCAM(_ x: Tensor, target: Int, layer: String, plusPlus: Bool = false) throws -> Tensor {
        let backprop: Backpropagation
        if let known = layers[layer] { backprop = known } else {
            do { backprop = try Backpropagation(graph, sources: [layer], outputs: [outputName]) }
            catch { throw ModelError("layer '\(layer)': \(error)") }
            layers[layer] = backprop
        }
        guard backprop.unreached.isEmpty else {
            throw ModelError("layer '\(layer)' does not lead to the output '\(outputName)'")
        }
        let (pass, grads) = try gradient(backprop, x, target: target)
        let maps = pass.output(layer)!, g = grads[layer]!
        guard maps.rank == 4 else { throw ModelError("layer '\(layer)' gives \(maps.shape), not N×C×H×W maps") }
        let c = maps.shape[1], h = maps.shape[2], w = maps.shape[3], area = h * w
        var cam = [Float](repeating: 0, count: area)
        for k in 0..<c {
            let a = maps.storage[(k * area)..<((k + 1) * area)], d = g.storage[(k * area)..<((k + 1) * area)]
            let weight: Float
            if plusPlus {
                let total = a.reduce(0, +)
                weight = zip(a.indices, d.indices).reduce(0) { sum, pair in
                    let gi = d[pair.1], g2 = gi * gi, denominator = 2 * g2 + total * g2 * gi
                    return sum + (gi != 0 && denominator != 0 ? g2 / denominator : 0) * max(gi, 0)
                }
            } else {
                weight = d.reduce(0, +) / Float(area)
            }
            for (i, v) in a.enumerated() { cam[i] += weight * v }
        }
        return Tensor(shape: [h, w], values: cam.map { max($0, 0) })
    }

    /// The layer Grad-CAM explains by default: the last value of N×C×H×W maps (H or W above 1) that
    /// depends on the input before the first global pooling, flattening or fully connected node.
    public func defaultLayer() throws -> String {
        let probe = try inputs.forward([inputName: Tensor(shape: graph.inputs[0].shape.map { $0 ?? 1 })],
                                       training: false)
        var dependent: Set<String> = [inputName], last: String?
        for i in inputs.order {
            let node = graph.nodes[i]
            guard node.inputs.contains(where: dependent.contains) else { continue }
            if ["GlobalAveragePool", "GlobalMaxPool", "Flatten", "Gemm", "MatMul", "Reshape"].contains(node.opType) {
                break
            }
            node.outputs.forEach { dependent.insert($0) }
            if let o = node.outputs.first, let t = probe.output(o),
               t.rank == 4, t.shape[2] * t.shape[3] > 1 { last = o }
        }
        guard let last else {
            throw ModelError("the model has no convolutional maps before its classifier; name one with --layer")
        }
        return last
    }

    /// The graph value of a layer named as `info` and `dump-activations` name layers (a node's name,
    /// case-insensitively) or a value's own name.
    public func value(named name: String) throws -> String { try Self.value(named: name, in: graph) }

    /// `value(named:)` in any graph.
    public static func value(named name: String, in graph: Graph) throws -> String {
        if graph.nodes.contains(where: { $0.outputs.contains(name) }) { return name }
        if let node = graph.nodes.first(where: { $0.displayName.lowercased() == name.lowercased() }),
           let o = node.outputs.first {
            return o
        }
        let names = graph.nodes.map(\.displayName)
        let close = names.min {
            editDistance($0.lowercased(), name.lowercased()) < editDistance($1.lowercased(), name.lowercased())
        }
        throw ModelError("no layer '\(name)'" + (close.map { "; did you mean '\($0)'?" } ?? ""))
    }
}
