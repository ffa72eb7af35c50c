import Explain
import Foundation
import ImageCodecs
import NeuralNet
import Tensors

/// Explanations of some classes at one input as `cnnfilter explain` and the activation report draw
/// them: the model's prediction (from the explainer's own forward pass), each class's raw map, and
/// the picture of the photo with the maps over it.
public struct ClassExplanation {
    public let explainer: Explainer
    public let input: Tensor
    public let prediction: Prediction
    public let settings: ExplanationSettings
    /// The model's file name, for error messages and the caption.
    public let model: String

    /// `graph` is explained one item at a time; `labels` nil: the model's own class names.
    public init(graph: Graph, input: Tensor, labels: [String]?, settings: ExplanationSettings,
                model: String) throws {
        guard graph.inputs.count == 1, graph.inputs[0].shape.count >= 3 else {
            throw ModelError("\(model): explanations need one N×C×H×W (or C×H×W) input")
        }
        guard input.rank < 4 || input.shape[0] == 1 else {
            throw ModelError("\(model): an explanation explains one item; the input holds \(input.shape[0])")
        }
        var one = graph
        one.inputs[0].shape[0] = 1
        do { explainer = try Explainer(one) } catch let e as ModelError { throw ModelError("\(model): \(e.message)") }
        let scores = try explainer.scores(input)
        guard let p = Prediction(output: Tensor(shape: [1, scores.count], values: scores),
                                 labels: labels ?? Prediction.labels(of: graph)) else {
            throw ModelError("\(model): the output is not one score per class")
        }
        self.input = input; prediction = p; self.settings = settings; self.model = model
    }

    /// One class explained: its index, raw map (`Explainer.explain`) and picture panel (Grad-CAM's map
    /// as it is, the gradient methods' largest magnitude over the channels) titled with its name and
    /// probability.
    public struct Item {
        public var target: Int
        public var map: Tensor
        public var panel: ExplanationPicture.Panel
    }

    /// `classes` explained in order (the layer for Grad-CAM found once).
    public func explain(_ classes: [Int]) throws -> [Item] {
        let layer = try explainer.layerValue(settings)
        return try classes.map { c in
            let raw = try explainer.explain(input, target: c, settings, layer: layer)
            let map = settings.method.weighsALayer ? raw : ExplanationPicture.magnitude(raw)
            let title = String(format: "%@ %.1f%%", prediction.names[c], Double(prediction.probabilities[c]) * 100)
            return Item(target: c, map: raw, panel: .init(map: map, title: title))
        }
    }

    /// The items' panels side by side over `photo`, captioned with the method and the model's file name.
    public func picture(_ items: [Item], photo: OverlayBackground) -> RasterImage {
        let caption = "\(settings.method.rawValue): \((model as NSString).lastPathComponent)"
        return ExplanationPicture.render(items.map(\.panel), photo: photo, caption: caption)
    }

    /// The picture behind the heat map for the input `x` read from `file`: the photo at the model's
    /// input size, or a .npy input's first three channels (or its first, repeated) stretched to [0, 1].
    public static func photo(file: String?, input x: Tensor,
                             preparation: InputPreparation) throws -> OverlayBackground {
        let h = x.shape[x.rank - 2], w = x.shape[x.rank - 1]
        if let file, ImageFormat.sniff(try ImageReader.readBytes(file)) != .npy {
            return try preparation.background(from: file, height: h, width: w)
        }
        let area = h * w, channels = x.count / area
        var planes = (0..<min(channels, 3)).map { Array(x.storage[($0 * area)..<(($0 + 1) * area)]) }
        if planes.count < 3 { planes = [planes[0], planes[0], planes[0]] }
        let lo = planes.joined().min() ?? 0, hi = planes.joined().max() ?? 1
        return OverlayBackground(height: h, width: w,
                                 rgb: planes.joined().map { hi > lo ? ($0 - lo) / (hi - lo) : 0.5 })
    }
}
