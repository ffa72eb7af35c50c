import ArgumentParser
import Explain
import Visualize

/// The activation report's optional parts: the explanations of the top classes (--explain, the methods
/// of `explain`) and each convolution's feature pictures (--visualize, those of `visualize`).
struct ReportExtraOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Explain the top classes: gradcam, gradcam++, saliency, guided, smoothgrad or "
            + "integrated-gradients, as 'cnnfilter explain' does."))
    var explain: ExplanationMethod?

    @Option(help: "--explain: how many of the top classes (3).") var explainTop: Int?
    @Option(help: "--explain gradcam/gradcam++: the layer weighed (default: the last maps before the classifier).")
    var explainLayer: String?
    @Option(help: "--explain smoothgrad: noisy copies (25).") var explainSamples: Int?
    @Option(help: "--explain smoothgrad: noise, as a fraction of the input's range (0.15).") var explainNoise: Float?
    @Option(help: "--explain integrated-gradients: steps along the path (64).") var explainSteps: Int?
    @Option(help: "--explain integrated-gradients: black, blur or noise.") var explainBaseline: ExplanationBaseline?
    @Option(help: "--explain: seed of smoothgrad's noise and the noise baseline (1).") var explainSeed: UInt64?

    @Flag(help: "Draw what each convolution's channels look for, beside its maps (as 'cnnfilter visualize').")
    var visualize = false
    @Option(help: "--visualize: optimisation steps per picture (512).") var visualizeSteps: Int?
    @Option(help: "--visualize: the channels, a list such as 0-7 (default: the first 16).")
    var visualizeChannels: String?

    func validate() throws {
        let explainOptions: [(String, Bool)] = [
            ("--explain-top", explainTop != nil), ("--explain-layer", explainLayer != nil),
            ("--explain-samples", explainSamples != nil), ("--explain-noise", explainNoise != nil),
            ("--explain-steps", explainSteps != nil), ("--explain-baseline", explainBaseline != nil),
            ("--explain-seed", explainSeed != nil),
        ]
        if explain == nil, let (name, _) = explainOptions.first(where: \.1) {
            throw ValidationError("\(name) goes with --explain METHOD")
        }
        if let explain, explainLayer != nil, !explain.weighsALayer {
            throw ValidationError("--explain-layer goes with --explain gradcam or gradcam++")
        }
        if let problem = explanation?.problem(optionPrefix: "--explain-") { throw ValidationError(problem) }
        if let explainTop, !(1...100).contains(explainTop) {
            throw ValidationError("--explain-top must be between 1 and 100")
        }
        if !visualize, visualizeSteps != nil || visualizeChannels != nil {
            throw ValidationError("--visualize-\(visualizeSteps != nil ? "steps" : "channels") goes with --visualize")
        }
        if let visualizeSteps, !(1...100_000).contains(visualizeSteps) {
            throw ValidationError("--visualize-steps must be between 1 and 100000")
        }
        if let visualizeChannels, (try? ChannelList.parse(visualizeChannels)) == nil {
            throw ValidationError("--visualize-channels '\(visualizeChannels)' is not a list of channels such as 0-7")
        }
    }

    /// --explain and its options.
    var explanation: ExplanationSettings? {
        guard let explain else { return nil }
        var s = ExplanationSettings(method: explain)
        s.layer = explainLayer
        if let explainSamples { s.samples = explainSamples }
        if let explainNoise { s.noise = explainNoise }
        if let explainSteps { s.steps = explainSteps }
        if let explainBaseline { s.baseline = explainBaseline }
        if let explainSeed { s.seed = explainSeed }
        return s
    }

    /// Sets the dump's explanation and feature pictures as asked for.
    func configure(_ dump: inout ActivationDump, preparation: InputPreparation) throws {
        dump.explanation = explanation
        if let explainTop { dump.explanationTop = explainTop }
        if visualize {
            var features = ReportFeatures()
            if let visualizeSteps { features.steps = visualizeSteps }
            features.channels = try visualizeChannels.map { try ChannelList.parse($0) }
            features.mean = preparation.mean; features.std = preparation.std
            dump.features = features
        }
    }
}
