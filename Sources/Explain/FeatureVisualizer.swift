import Foundation
import NeuralNet
import Tensors
import Training

/// A picture feature visualisation made, channels × h × w in [0, 1], and the objective's value at it
/// (the picture as it is, without the random transforms of the optimisation).
public struct FeaturePicture: Sendable {
    public var channels: Int, height: Int, width: Int
    public var values: [Float]
    public var objective: Float
}

/// What a channel of a layer looks for, by optimisation as lucid and lucent do it: a `FeatureImage`
/// (Fourier coefficients, decorrelated colours, a sigmoid) climbs the objective's gradient with Adam,
/// through a fresh `RandomTransform` at every step, for grey and colour models alike. The model runs in
/// inference mode on the part of its graph the layer depends on.
public final class FeatureVisualizer {
    /// The nodes the layer depends on, with the layer as the one output.
    public let graph: Graph
    public let inputName: String
    /// The value optimised, and the layer's name as `info` prints it.
    public let value: String, layerName: String
    /// The picture's (and the model input's) channels, height and width.
    public let inputChannels: Int, height: Int, width: Int
    /// The layer's channels (features, for an N×F value).
    public let channels: Int
    /// How a [0, 1] picture becomes the model's input: (x − mean) / std per channel, as `run` prepares photos.
    public var mean: [Float] = [0], std: [Float] = [1]
    let backprop: Backpropagation

    /// `layer`: a node name as `info` prints it or a value name (nil: the model's output, whose channels
    /// are the class logits). `size`: the picture's height and width (default: the model input's, or
    /// 224 × 224 where the model leaves them open).
    public init(_ model: Graph, layer: String?, size: (height: Int, width: Int)? = nil) throws {
        guard model.inputs.count == 1, model.inputs[0].shape.count == 4, let output = model.outputs.first else {
            throw ModelError("feature visualisation needs a model with one N×C×H×W input and an output")
        }
        let input = model.inputs[0]
        inputName = input.name
        let value = try layer.map { try Explainer.value(named: $0, in: model) } ?? output
        self.value = value
        layerName = model.nodes.first { $0.outputs.first == value }?.displayName ?? value
        inputChannels = input.shape[1] ?? 3
        height = size?.height ?? input.shape[2] ?? 224
        width = size?.width ?? input.shape[3] ?? 224
        let graph = Self.graph(model, computing: value)
        self.graph = graph
        backprop = try Backpropagation(graph, sources: [input.name], outputs: [value])
        guard backprop.unreached.isEmpty else {
            throw ModelError("layer '\(layerName)' is not computed from the input '\(input.name)', "
                             + "so no picture can change it")
        }
        let probe = try backprop.forward([input.name: Tensor(shape: [1, inputChannels, height, width])],
                                         training: false).output(value)!
        guard probe.rank == 4 || probe.rank == 2 else {
            throw ModelError("layer '\(layerName)' gives \(probe.shape), neither N×C×H×W maps nor N×F features")
        }
        channels = probe.shape[1]
    }

    /// `model` cut down to the nodes `value` depends on, with `value` its one output.
    static func graph(_ model: Graph, computing value: String) -> Graph {
        var needed: Set<String> = [value], keep = [Bool](repeating: false, count: model.nodes.count)
        for (i, node) in model.nodes.enumerated().reversed() where node.outputs.contains(where: needed.contains) {
            keep[i] = true
            node.inputs.forEach { needed.insert($0) }
        }
        var g = model
        g.nodes = model.nodes.indices.filter { keep[$0] }.map { model.nodes[$0] }
        g.outputs = [value]
        return g
    }

    /// Channels that the layer does not have, as one message (nil when all are there).
    public func outOfRange(_ list: [Int]) -> String? {
        let bad = list.filter { $0 < 0 || $0 >= channels }
        guard let first = bad.first else { return nil }
        let which = bad.count == 1 ? "channel \(first) is" : "channels \(first)…\(bad.last!) are"
        return "\(which) out of range: layer '\(layerName)' has \(channels) channels (0…\(channels - 1))"
    }

    /// The model's input for a [0, 1] picture.
    func input(_ picture: [Float]) -> Tensor {
        let area = height * width
        return Tensor(shape: [1, inputChannels, height, width], values: picture.indices.map { i in
            let c = i / area
            return (picture[i] - (mean.count == 1 ? mean[0] : mean[c])) / (std.count == 1 ? std[0] : std[c])
        })
    }

    /// The objective at a picture as it is.
    public func measure(_ picture: [Float], _ objective: FeatureObjective) throws -> Float {
        objective.measure(try backprop.forward([inputName: input(picture)], training: false).output(value)!)
    }

    /// One picture per objective, in order (`render` each); `progress` also gets the objective's index,
    /// `finished` each picture as it is done.
    public func render(_ objectives: [FeatureObjective], steps: Int, seed: UInt64, rate: Float = 0.05,
                       progress: ((Int, Int, Float) -> Void)? = nil,
                       finished: ((Int, FeaturePicture) -> Void)? = nil) throws -> [FeaturePicture] {
        if let message = outOfRange(objectives.map(\.channel)) { throw ModelError(message) }
        return try objectives.enumerated().map { n, objective in
            let picture = try render(objective, steps: steps, seed: seed, rate: rate) { progress?(n, $0, $1) }
            finished?(n, picture)
            return picture
        }
    }

    /// `steps` of Adam (learning rate `rate`, lucid's 0.05) from lucid's random start; the start and the
    /// transforms come from `seed` and the channel, so a channel's picture does not depend on the others
    /// asked for. `progress` sees each step's number (from 1) and the objective under its transform.
    public func render(_ objective: FeatureObjective, steps: Int, seed: UInt64, rate: Float = 0.05,
                       progress: ((Int, Float) -> Void)? = nil) throws -> FeaturePicture {
        if let message = outOfRange([objective.channel]) { throw ModelError(message) }
        var rng = RandomSource(seed: seed, 0x7669_7375_616C, objective.channel)  // "visual"
        let picture = FeatureImage(channels: inputChannels, height: height, width: width)
        let parameters = Parameter(name: "spectrum", shape: [picture.fourier.count],
                                   value: picture.fourier.randomParameters(seed: rng.next()))
        var settings = OptimizerSettings()
        settings.rule = .adam; settings.learningRate = rate
        let adam = Optimizer(settings, parameters: [parameters])
        let area = height * width
        for step in 1...max(1, steps) {
            let image = picture.image(parameters.value)
            let transform = RandomTransform.random(side: max(height, width), &rng)
            let seen = transform.apply(image, height: height, width: width)
            let pass = try backprop.forward([inputName: input(seen)], training: false)
            let out = pass.output(value)!
            let weights = objective.weights(out.shape)
            let dInput = try backprop.backward(pass, outputGradients: [value: weights])[inputName]!
            // Through the input's standardisation, the transform and the picture, to the coefficients.
            let dSeen = dInput.storage.indices.map { i in
                dInput.storage[i] / (std.count == 1 ? std[0] : std[i / area])
            }
            let dImage = transform.adjoint(dSeen, height: height, width: width)
            let ascent = picture.gradient(dImage, picture: image)
            for i in ascent.indices { parameters.grad[i] = -ascent[i] }
            adam.step([parameters], rate: rate)
            progress?(step, objective.measure(out))
        }
        let values = picture.image(parameters.value)
        return FeaturePicture(channels: inputChannels, height: height, width: width, values: values,
                              objective: try measure(values, objective))
    }
}
