import XCTest
import Tensors
@testable import Training

/// `cnnfilter augment` shows what training does: the preview's copies are the trainer's own batches.
final class AugmentationPreviewTests: XCTestCase {
    /// A 1×4×5 image whose mirror differs from it everywhere.
    let image = Tensor(shape: [1, 4, 5], values: (0..<20).map { Float($0) / 19 })

    func testFlipsGiveTheImageOrItsMirror() throws {
        var flip = Augmentation()
        flip.horizontalFlip = true
        let mirror = Tensor(shape: [1, 4, 5],
                            values: (0..<4).flatMap { y in (0..<5).map { x in image.storage[y * 5 + 4 - x] } })
        let copies = flip.copies(of: image, epochs: 0..<16, seed: 3)
        let mirrored = copies.filter { $0.storage == mirror.storage }.count
        XCTAssertEqual(copies.filter { $0.storage == image.storage }.count + mirrored, 16)
        XCTAssert(mirrored > 0 && mirrored < 16, "\(mirrored) of 16 mirrored")
    }

    func testCopiesAreWhatTheTrainerAssembles() throws {
        let augmentation = try Augmentation.parse("flip,rotate=30,zoom=0.2,translate=1,brightness=0.3")
        let second = Tensor(shape: [1, 4, 5], values: image.storage.reversed())
        let data = Dataset(sampleShape: [1, 4, 5], pixels: image.storage + second.storage, labels: [0, 1],
                           classNames: ["a", "b"])
        let net = try Architecture.parse("linear classes\n", source: "net.arch")
            .build(input: [1, 4, 5], classes: 2, labels: ["a", "b"], seed: 1)
        var settings = TrainingSettings()
        settings.augmentation = augmentation
        settings.seed = 7
        let trainer = Trainer(network: net, settings: settings)
        for epoch in 0..<3 {
            let batch = trainer.assemble(data, [1, 0], epoch: epoch, size: 20, shape: [1, 4, 5])
            let preview = augmentation.copies(of: second, sample: 1, epochs: epoch..<(epoch + 1), seed: 7)[0]
            XCTAssertEqual(Array(batch.storage[0..<20]), preview.storage, "epoch \(epoch)")
            XCTAssertNotEqual(preview.storage, second.storage, "epoch \(epoch) changed nothing")
        }
    }
}
