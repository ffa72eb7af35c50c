import Explain
import Foundation
import ImageCodecs
import NeuralNet
import Tensors

/// Explanations in the activation report (`dump-activations --explain METHOD`): the top classes, each
/// explained by `ClassExplanation` and drawn by `ExplanationPicture` exactly as `cnnfilter explain
/// --class C` draws it, written as DIR/explain/METHOD-classC.png (and .npy, the raw map, with `writeNPY`).
extension ActivationDump {
    /// The report's figures of the explanations.
    struct Explanations {
        struct Item { var file: String, title: String, target: Int, width: Int }
        var method: ExplanationMethod
        /// The layer Grad-CAM weighed, as `info` names it.
        var layer: String?
        var items: [Item]
    }

    /// A model with a fixed batch size gets a photo as that many equal items; explanations take one.
    static func oneItem(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[0] > 1 else { return x }
        let n = x.count / x.shape[0]
        let first = x.storage[0..<n]
        guard (1..<x.shape[0]).allSatisfy({ x.storage[($0 * n)..<(($0 + 1) * n)] == first }) else { return x }
        return Tensor(shape: [1] + x.shape.dropFirst(), values: Array(first))
    }

    /// This dump ready for many inputs: the explanation's layer name checked (a typo fails once, not on
    /// every input) and the feature pictures made.
    public func prepared(graph: Graph) throws -> ActivationDump {
        if let name = explanation?.layer {
            do { _ = try Explainer.value(named: name, in: graph) }
            catch let e as ModelError { throw ModelError("\(title ?? "the model"): --explain-layer: \(e.message)") }
        }
        return try renderingFeatures(graph: graph)
    }

    /// The explanations made and drawn, before any file is written (a bad layer fails at once).
    struct Explained {
        var method: ExplanationMethod, layer: String?
        var items: [(item: ClassExplanation.Item, picture: RasterImage)]
    }

    func explaining(graph: Graph, input: Tensor) throws -> Explained? {
        guard let settings = explanation else { return nil }
        let x = Self.oneItem(input)
        if x.rank == 4 && x.shape[0] > 1 {
            throw ModelError("\(inputDescription ?? "the input"): --explain explains one item, and it holds "
                             + "\(x.shape[0]) different ones")
        }
        let explanation = try ClassExplanation(graph: graph, input: x, labels: labels, settings: settings,
                                               model: title ?? "the model")
        let layer = try explanation.explainer.layerValue(settings).map { value in
            graph.nodes.first { $0.outputs.first == value }?.displayName ?? value
        }
        let background = try photo ?? ClassExplanation.photo(file: nil, input: x, preparation: InputPreparation())
        let items = try explanation.explain(Array(explanation.prediction.ranking.prefix(explanationTop))).map {
            item in
            progress("explained class \(item.target) (\(item.panel.title)) with \(settings.method.rawValue)")
            return (item, explanation.picture([item], photo: background))
        }
        return Explained(method: settings.method, layer: layer, items: items)
    }

    func writeExplanations(_ explained: Explained?, into dir: String) throws -> Explanations? {
        guard let explained else { return nil }
        try FileManager.default.createDirectory(atPath: dir + "/explain", withIntermediateDirectories: true)
        let items = try explained.items.map { item, picture in
            let file = "explain/\(explained.method.rawValue)-class\(item.target)"
            try ImageWriter.write(picture, format: .png, to: dir + "/" + file + ".png")
            if writeNPY { try OutputFile.write(dir + "/" + file + ".npy", bytes: NPYCodec.encode(item.map)) }
            return Explanations.Item(file: file + ".png", title: item.panel.title, target: item.target,
                                     width: picture.width)
        }
        return Explanations(method: explained.method, layer: explained.layer, items: items)
    }
}

extension ReportPage {
    /// What each method shows, in a sentence.
    static func describe(_ method: ExplanationMethod, layer: String?) -> String {
        let at = layer.map { " of layer \(escape($0))" } ?? ""
        switch method {
        case .gradcam:
            return "Grad-CAM: the maps\(at) weighed by the class score's mean gradient, ReLU, upsampled to the photo."
        case .gradcamPlusPlus:
            return "Grad-CAM++: the maps\(at) weighed by each position's positive gradient (Chattopadhay et al.)."
        case .saliency:
            return "Saliency: the class score's gradient with respect to the input, its largest magnitude over "
                + "the channels."
        case .guided:
            return "Guided backpropagation: the saliency with each Relu passing back only positive gradients "
                + "where its input was positive."
        case .smoothgrad: return "SmoothGrad: the saliency averaged over noisy copies of the input."
        case .integratedGradients:
            return "Integrated gradients: (input − baseline) times the mean gradient along the path from the baseline."
        }
    }

    /// The explanations of the top classes, under the prediction.
    func explanationSection(_ e: ActivationDump.Explanations) -> String {
        var s = "<section id=\"explanation\"><h2>Why: \(e.method.rawValue) <span class=\"meta\">of the top "
            + "\(e.items.count) class\(e.items.count == 1 ? "" : "es")</span></h2>\n"
            + "<p class=\"meta\">\(Self.describe(e.method, layer: e.layer)) Each picture is what "
            + "<code>cnnfilter explain --method \(e.method.rawValue) --class C</code> draws: the map over the "
            + "photo as a heat map, with a colour bar from 0 to its highest value.</p>\n<div class=\"explain\">\n"
        for item in e.items {
            s += "<figure><a href=\"\(Self.escape(item.file))\"><img src=\"\(Self.escape(item.file))\" "
                + "width=\"\(item.width)\" alt=\"\(Self.escape(item.title))\"></a>"
                + "<figcaption>class \(item.target): \(Self.escape(item.title))</figcaption></figure>\n"
        }
        return s + "</div></section>\n"
    }
}
