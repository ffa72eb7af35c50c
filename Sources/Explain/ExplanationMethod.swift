import NeuralNet
import Tensors

/// The methods `Explainer` offers, by the names the CLI gives them.
public enum ExplanationMethod: String, CaseIterable, Sendable {
    case saliency, guided, smoothgrad, gradcam, gradcamPlusPlus = "gradcam++"
    case integratedGradients = "integrated-gradients"

    /// Grad-CAM and Grad-CAM++ explain a layer's maps; the others the input pixels.
    public var weighsALayer: Bool { self == .gradcam || self == .gradcamPlusPlus }
}

/// integrated-gradients' start: zeros, the input blurred (a 9×9 box per channel), or uniform noise.
public enum ExplanationBaseline: String, CaseIterable, Sendable { case black, blur, noise }

/// One explanation request apart from its input and class: the method and the options it has.
public struct ExplanationSettings: Sendable {
    public var method: ExplanationMethod
    /// The layer Grad-CAM weighs, as a user names it (`Explainer.value(named:)`); nil: `defaultLayer()`.
    public var layer: String? = nil
    /// smoothgrad: noisy copies, and their noise as a fraction of the input's range.
    public var samples = 25, noise: Float = 0.15
    /// integrated-gradients: steps along the path from `baseline`.
    public var steps = 64, baseline = ExplanationBaseline.black
    /// smoothgrad's noise and the noise baseline.
    public var seed: UInt64 = 1

    public init(method: ExplanationMethod) { self.method = method }

    /// The first option out of its range as a sentence naming it (`prefix`: the CLI's option prefix),
    /// or nil.
    public func problem(optionPrefix prefix: String = "--") -> String? {
        if !(1...10000).contains(samples) { return "\(prefix)samples must be between 1 and 10000" }
        if !(1...10000).contains(steps) { return "\(prefix)steps must be between 1 and 10000" }
        if !(noise >= 0 && noise < 10) { return "\(prefix)noise must be in [0, 10)" }
        return nil
    }
}

extension Explainer {
    /// The graph value `settings` explains for Grad-CAM (nil for the methods that explain the input).
    public func layerValue(_ settings: ExplanationSettings) throws -> String? {
        guard settings.method.weighsALayer else { return nil }
        return try settings.layer.map { try value(named: $0) } ?? defaultLayer()
    }

    /// The raw explanation of class `target` at `x`: the input's shape for the gradient methods, the
    /// layer's h×w for Grad-CAM. `layer`: `layerValue(settings)`, found once for several classes.
    public func explain(_ x: Tensor, target: Int, _ settings: ExplanationSettings, layer: String?) throws -> Tensor {
        switch settings.method {
        case .saliency: return try saliency(x, target: target)
        case .guided: return try guided(x, target: target)
        case .smoothgrad:
            return try smoothGrad(x, target: target, samples: settings.samples, noise: settings.noise,
                                  seed: settings.seed)
        case .gradcam, .gradcamPlusPlus:
            guard let layer else { throw ModelError("Grad-CAM needs a layer (Explainer.layerValue)") }
            return try gradCAM(x, target: target, layer: layer, plusPlus: settings.method == .gradcamPlusPlus)
        case .integratedGradients:
            return try integratedGradients(x, target: target, steps: settings.steps,
                                           baseline: Self.baseline(settings.baseline, for: x, seed: settings.seed))
        }
    }

    /// integrated-gradients' path start for `x`.
    public static func baseline(_ kind: ExplanationBaseline, for x: Tensor, seed: UInt64) -> Tensor {
        switch kind {
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
}
