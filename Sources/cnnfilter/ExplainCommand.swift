import ArgumentParser
import Explain
import Foundation
import ImageCodecs
import NeuralNet
import Tensors
import Visualize

enum ExplainMethod: String, CaseIterable, ExpressibleByArgument {
    case saliency, guided, smoothgrad, gradcam, gradcamPlusPlus = "gradcam++", integratedGradients = "integrated-gradients"
}

enum Baseline: String, CaseIterable, ExpressibleByArgument { case black, blur, noise }

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show which pixels made an ONNX model choose a class: Grad-CAM, saliency and friends as a heat map.",
        discussion: """
          cnnfilter explain model.onnx photo.jpg -o why.png                     # Grad-CAM of the top class
          cnnfilter explain model.onnx photo.jpg --method saliency --top 3 -o why.png
          cnnfilter explain model.onnx photo.jpg --method integrated-gradients --steps 64 --npy ig.npy -o ig.png
        The class score is the model's output for the class before any softmax. gradcam weighs a
        layer's maps (--layer; default the last maps before global pooling or the classifier) by the
        score's mean gradient; saliency is the score's gradient with respect to the input pixels
        (the picture shows its largest magnitude over the channels); guided passes back through
        each Relu only positive gradients where its input was positive; smoothgrad averages the
        saliency over noisy copies; integrated-gradients follows the path from a baseline to the input.
        """
    )

    @Argument(help: "An ONNX classifier.") var model: String
    @Argument(help: "A photo (prepared as 'run' prepares it), or a .npy input tensor used as it is.") var image: String
    @Option(name: [.short, .long], help: "The picture (.png).") var output: String
    @Option(help: "The method.") var method: ExplainMethod = .gradcam
    @Option(name: .customLong("class"), help: "The class to explain, by index or name (default: the top prediction).")
    var target: String?
    @Option(help: "Explain each of the top K classes, side by side.") var top: Int = 1
    @Option(help: "The layer Grad-CAM weighs (a node name as 'info' prints it, or a value name).") var layer: String?
    @Option(help: "Class names, one per line (default: the model's own).") var labels: String?
    @Option(help: "smoothgrad: noisy copies.") var samples: Int = 25
    @Option(help: "smoothgrad: noise standard deviation, as a fraction of the input's range.") var noise: Float = 0.15
    @Option(help: "integrated-gradients: steps along the path.") var steps: Int = 64
    @Option(help: "integrated-gradients: the path's start.") var baseline: Baseline = .black
    @Option(help: "Seed for smoothgrad's noise and the noise baseline.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Also write the raw map of the first class as .npy (saliency: the input's shape; "
            + "gradcam: the layer's h×w)."))
    var npy: String?
    @OptionGroup var preparation: InputOptions

    func validate() throws {
        guard (1...100).contains(top) else { throw ValidationError("--top must be between 1 and 100") }
        guard (1...10000).contains(samples) else { throw ValidationError("--samples must be between 1 and 10000") }
        guard (1...10000).contains(steps) else { throw ValidationError("--steps must be between 1 and 10000") }
        guard noise >= 0 && noise < 10 else { throw ValidationError("--noise must be in [0, 10)") }
    }

    func run() throws {
        do {
            var graph = try ONNXLoader.load(path: model)
            guard graph.inputs.count == 1, graph.inputs[0].shape.count >= 3 else {
                throw ModelError("\(model): explain needs one N×C×H×W (or C×H×W) input")
            }
            graph.inputs[0].shape[0] = 1  // one photo
            let x = try preparation.preparation().tensor(from: image, for: graph.inputs[0])
            let explainer: Explainer
            do { explainer = try Explainer(graph) }
            catch let e as ModelError { throw ModelError("\(model): \(e.message)") }
            let names = try labels.map { try Prediction.labels(file: $0) } ?? Prediction.labels(of: graph)
            let scores = Tensor(shape: [1, try explainer.scores(x).count], values: try explainer.scores(x))
            guard let prediction = Prediction(output: scores, labels: names) else {
                throw ModelError("\(model): the output is not one score per class")
            }
            let targets = try classes(prediction)
            let layerValue = try layer.map { try explainer.value(named: $0) }
            var panels: [ExplanationPicture.Panel] = [], first: Tensor?
            for c in targets {
                let raw = try explain(explainer, x, c, layer: layerValue)
                if first == nil { first = raw }
                let map = method == .gradcam || method == .gradcamPlusPlus ? raw : ExplanationPicture.magnitude(raw)
                panels.append(.init(map: map, title: String(format: "%@ %.1f%%", prediction.names[c],
                                                            Double(prediction.probabilities[c]) * 100)))
            }
            let (h, w) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
            let photo = try background(x, height: h, width: w)
            let caption = "\(method.rawValue): \((model as NSString).lastPathComponent)"
            let picture = ExplanationPicture.render(panels, photo: photo, caption: caption)
            if let npy, let first { try OutputFile.write(npy, bytes: NPYCodec.encode(first)) }
            try ImageWriter.write(picture, format: .png, to: output)
        } catch { fail(error) }
    }

    /// The classes asked for: --class by index or name, else the top K.
    func classes(_ p: Prediction) throws -> [Int] {
        guard let target else { return Array(p.ranking.prefix(top)) }
        if let i = Int(target) {
            guard i >= 0 && i < p.scores.count else {
                throw ModelError("--class \(i) is out of range: "
                                 + "\(model) has \(p.scores.count) classes (0…\(p.scores.count - 1))")
            }
            return [i]
        }
        guard let i = p.names.firstIndex(where: { $0.lowercased() == target.lowercased() }) else {
            throw ModelError("--class '\(target)' is not one of \(model)'s classes: "
                             + "\(p.names.prefix(12).joined(separator: ", "))"
                             + (p.names.count > 12 ? ", …" : ""))
        }
        return [i]
    }

    func explain(_ e: Explainer, _ x: Tensor, _ c: Int, layer: String?) throws -> Tensor {
        switch method {
        case .saliency: return try e.saliency(x, target: c)
        case .guided: return try e.guided(x, target: c)
        case .smoothgrad: return try e.smoothGrad(x, target: c, samples: samples, noise: noise, seed: seed)
        case .gradcam, .gradcamPlusPlus:
            return try e.gradCAM(x, target: c, layer: try layer ?? e.defaultLayer(),
                                 plusPlus: method == .gradcamPlusPlus)
        case .integratedGradients:
            return try e.integratedGradients(x, target: c, steps: steps, baseline: start(x))
        }
    }

    /// integrated-gradients' baseline: zeros, the input blurred (a 9×9 box per channel), or uniform noise.
    func start(_ x: Tensor) -> Tensor {
        switch baseline {
        case .black: return Tensor(shape: x.shape)
        case .noise:
            var rng = RandomSource(seed: seed)
            let lo = x.storage.min() ?? 0, hi = x.storage.max() ?? 1
            return Tensor(shape: x.shape, values: x.storage.map { _ in rng.uniform(lo, hi) })
        case .blur:
            let h = x.shape[x.rank - 2], w = x.shape[x.rank - 1], area = h * w
            var out = x
            for p in 0..<(x.count / area) { for y in 0..<h { for xx in 0..<w {
                var sum: Float = 0, n = 0
                for yy in max(0, y - 4)...min(h - 1, y + 4) { for xi in max(0, xx - 4)...min(w - 1, xx + 4) {
                    sum += x.storage[p * area + yy * w + xi]; n += 1
                } }
                out.storage[p * area + y * w + xx] = sum / Float(n)
            } } }
            return out
        }
    }

    /// The picture behind the heat map: the photo at the model's input size, or a .npy input's first
    /// three channels (or its first, repeated) stretched to [0, 1].
    func background(_ x: Tensor, height h: Int, width w: Int) throws -> OverlayBackground {
        if !image.lowercased().hasSuffix(".npy") {
            return try preparation.preparation().background(from: image, height: h, width: w)
        }
        let area = h * w, channels = x.count / area
        var planes = (0..<min(channels, 3)).map { Array(x.storage[($0 * area)..<(($0 + 1) * area)]) }
        if planes.count < 3 { planes = [planes[0], planes[0], planes[0]] }
        let lo = planes.joined().min() ?? 0, hi = planes.joined().max() ?? 1
        return OverlayBackground(height: h, width: w,
                                 rgb: planes.joined().map { hi > lo ? ($0 - lo) / (hi - lo) : 0.5 })
    }
}
