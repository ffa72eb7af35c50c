import ArgumentParser
import Foundation
import ImageCodecs
import Kernels
import Tensors
import Training

struct TrainKernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-kernel",
        abstract: "Learn the convolution kernel that turns one image into another, by gradient descent.",
        discussion: """
          cnnfilter photo.png --kernel sobel-x --map offset -o target.png       # make a target…
          cnnfilter train-kernel --input photo.png --target target.npy --size 3 -o learned.kernel
          cnnfilter other.png --kernel ./learned.kernel -o out.png              # …and use what was learned
          cnnfilter train-kernel --input a.png --target edges.npy --size 5 --bank 2 --snapshots steps/ -o bank.kernel
        Targets are images or .npy C×H×W tensors on the same [0, 1] scale as the input's
        pixels (so negative values work), the input's size or its interior. The mean
        squared error is taken over the interior, where the kernel fits inside the image.
        """
    )

    @Option(parsing: .singleValue, help: "An input image or .npy (repeat with --target for several pairs).") var input: [String]
    @Option(parsing: .singleValue, help: "The image or .npy the kernel should produce from the input.") var target: [String]
    @Option(help: "Kernel size: N for N×N, or HxW.") var size: String
    @Option(help: "Learn K filters across the input channels; the target has K channels.") var bank: Int?
    @Option(help: "Gradient steps.") var steps: Int = 3000
    @Option(help: "Initial learning rate, decaying to zero on a cosine (default: tuned, see --optimizer).") var lr: Float?
    @Option(help: "auto (momentum with the rate and momentum tuned to the images), sgd, momentum, nesterov, adam or adamw.") var optimizer: String = "auto"
    @Option(help: "Seed for the initial noise.") var seed: UInt64 = 1
    @Option(help: "Save the kernel and its output image every few steps into this directory.") var snapshots: String?
    @Option(help: "Steps between snapshots and progress lines (default steps/20).") var every: Int?
    @Option(name: [.short, .long], help: "The learned kernel file.") var output: String

    func validate() throws {
        guard input.count == target.count, !input.isEmpty else { throw ValidationError("give one --target for each --input") }
        guard steps >= 1 && steps <= 10_000_000 else { throw ValidationError("--steps must be between 1 and 10000000") }
        if let bank, bank < 1 || bank > 1024 { throw ValidationError("--bank must be between 1 and 1024") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive") }
        guard optimizer == "auto" || OptimizerSettings.Rule(rawValue: optimizer) != nil else {
            throw ValidationError("--optimizer must be one of auto, sgd, momentum, nesterov, adam, adamw")
        }
        if optimizer == "auto" && lr != nil { throw ValidationError("--lr needs --optimizer (auto chooses its own rate)") }
        if let every, every < 1 { throw ValidationError("--every must be at least 1") }
    }

    func run() throws {
        do {
            let dims = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard (1...2).contains(dims.count), dims.allSatisfy({ (1...63).contains($0) }) else {
                throw ValidationError("--size \(size): give N or HxW with sizes from 1 to 63")
            }
            var fitting = KernelFitting(size: (dims[0], dims.last!), bank: bank)
            fitting.steps = steps; fitting.seed = seed
            if let rule = OptimizerSettings.Rule(rawValue: optimizer) {
                var settings = OptimizerSettings()
                settings.rule = rule; settings.learningRate = lr ?? (rule == .adam || rule == .adamw ? 0.01 : 0.1)
                fitting.optimizer = settings
            }
            let pairs = try zip(input, target).map { KernelFitting.Pair(input: try load($0), target: try load($1), name: "\($0) → \($1)") }
            let range = (pairs[0].target.storage.min() ?? 0, pairs[0].target.storage.max() ?? 1)
            let interval = every ?? max(1, steps / 20)
            let started = Date()
            let result = try fitting.fit(pairs, every: interval) { step in
                guard step.step % interval == 0 || step.step == steps else { return }
                note(String(format: "step %d/%d  mse %.4g", step.step, steps, step.loss))
                if let snapshots {
                    // Made at the first snapshot, after the pairs were checked: a refused run leaves nothing behind.
                    try FileManager.default.createDirectory(atPath: snapshots, withIntermediateDirectories: true)
                    let stem = "\(snapshots)/step-\(String(format: "%06d", step.step))"
                    try OutputFile.write(stem + ".kernel", bytes: Array(step.kernel.text(comments: ["step \(step.step), mse \(step.loss)"]).utf8))
                    try ImageWriter.write(KernelFitting.render(step.kernel, on: pairs[0].input, range: range), format: .png, to: stem + ".png")
                }
            }
            let used = fitting.used
            note(String(format: "%@ with learning rate %.4g", used.rule == .momentum && fitting.optimizer == nil ? "momentum \(used.momentum) (tuned)" : used.rule.rawValue, used.learningRate))
            var kernel = result.kernel
            kernel.name = ((output as NSString).lastPathComponent as NSString).deletingPathExtension
            kernel.description = String(format: "learned by train-kernel (%d steps, %@, mse %.3g)", steps, optimizer, result.loss)
            let comments = ["cnnfilter train-kernel " + zip(input, target).map { "--input \($0) --target \($1)" }.joined(separator: " ")
                            + " --size \(size)" + (bank.map { " --bank \($0)" } ?? "") + " --steps \(steps)" + (lr.map { " --lr \($0)" } ?? "") + " --optimizer \(optimizer) --seed \(seed)"]
            try OutputFile.write(output, bytes: Array(kernel.text(comments: comments).utf8))
            note(String(format: "wrote %@ (mse %.4g over the interior, %.1f s)", output, result.loss, Date().timeIntervalSince(started)))
        } catch { fail(error) }
    }

    /// An image's pixels in [0, 1] (alpha dropped) or a .npy tensor as it is.
    func load(_ path: String) throws -> Tensor {
        switch try ImageReader.read(path: path) {
        case .raster(let r): return r.tensor(includingAlpha: false)
        case .tensor(let t):
            guard t.rank == 2 || t.rank == 3 else { throw TrainingError("\(path): a \(t.rank)-D tensor; give H×W or C×H×W") }
            return t
        }
    }
}
