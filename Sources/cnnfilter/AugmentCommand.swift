import ArgumentParser
import Foundation
import ImageCodecs
import Tensors
import Training
import Visualize

struct AugmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment",
        abstract: "Preview data augmentation: an image and what train --augment makes of it, epoch by epoch.",
        discussion: """
        The copies are the ones `cnnfilter train --augment SPEC --seed N` gives a training sample
        in its first epochs (the same random streams), so a recipe can be looked at before it runs.
          cnnfilter augment images/fashion-boot.png --augment flip,rotate=15,zoom=0.1 -o boot-augmented.png
          cnnfilter augment images/chelsea.png --augment rotate=45,flip --count 5 -o cat-augmented.png
        """
    )

    @Argument(help: "An image (PNG, JPEG, PNM) or a C×H×W .npy tensor with values in [0, 1].")
    var image: String

    @Option(help: ArgumentHelp("The augmentation, as train takes it: "
                               + "flip,vflip,rotate=DEG,translate=PX,crop=PX,zoom=F,brightness=F."))
    var augment: String

    @Option(help: "How many epochs to show (1 to 64).") var count = 7
    @Option(help: "The training run's --seed.") var seed: UInt64 = 1
    @Option(help: "The sample's index in the training set (each sample draws its own changes).") var sample = 0

    @Option(name: [.short, .long], help: "The PNG to write (- for standard output).")
    var output: String

    func validate() throws {
        guard (1...64).contains(count) else { throw ValidationError("--count must be 1 to 64, not \(count)") }
        guard sample >= 0 else { throw ValidationError("--sample must not be negative") }
    }

    func run() throws {
        do {
            let augmentation = try Augmentation.parse(augment)
            let picture: Tensor
            switch try ImageReader.read(path: image) {
            case .raster(let r): picture = r.tensor(includingAlpha: false)
            case .tensor(let t):
                guard t.rank == 3 else { throw CodecError(image, "a C×H×W tensor is needed, not \(t.shape)") }
                picture = t
            }
            let copies = augmentation.copies(of: picture, sample: sample, epochs: 0..<count, seed: seed)
            let tiles = [("original", picture)] + copies.enumerated().map { ("epoch \($0.offset + 1)", $0.element) }
            try ImageWriter.write(AugmentationSheet.render(tiles), format: .png, to: output)
            let target = output == "-" ? "to standard output" : "in \(output)"
            note("cnnfilter: \(image) and \(count) copies (\(augmentation.summary), seed \(seed)) drawn \(target)")
        } catch { fail(error) }
    }
}
