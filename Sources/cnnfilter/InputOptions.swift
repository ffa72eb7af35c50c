import ArgumentParser
import Visualize

/// How a photo becomes a model's input (shared by predict and dump-activations).
struct InputOptions: ParsableArguments {
    @Option(help: "Per-channel means subtracted from a photo's [0, 1] values (one value, or one per channel).")
    var mean: String?

    @Option(help: "Per-channel standard deviations a photo is divided by.")
    var std: String?

    @Option(help: ArgumentHelp("A preparation preset for photos: imagenet (torchvision's: the short side resized to "
            + "256, the centre 224×224 kept, ImageNet's mean and std)."))
    var preset: String?

    func preparation() throws -> InputPreparation {
        var prep = InputPreparation()
        if let preset {
            guard preset == "imagenet" else { throw ValidationError("--preset '\(preset)': expected imagenet") }
            prep = .imagenet
        }
        func numbers(_ s: String, _ name: String) throws -> [Float] {
            let v = s.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard !v.isEmpty else { throw ValidationError("\(name) '\(s)': expected numbers separated by commas") }
            return v
        }
        if let mean { prep.mean = try numbers(mean, "--mean") }
        if let std { prep.std = try numbers(std, "--std") }
        guard !prep.std.contains(0) else { throw ValidationError("--std must not be 0") }
        return prep
    }
}
