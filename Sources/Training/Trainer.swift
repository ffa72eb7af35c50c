import Dispatch
import Foundation
import Tensors

/// What a run is asked to do; stored in checkpoints so `--resume` continues the same run.
public struct TrainingSettings: Codable, Sendable, Equatable {
    public var epochs = 10
    public var batchSize = 64
    public var seed: UInt64 = 1
    public var optimizer = OptimizerSettings()
    public var schedule = LearningRateSchedule.constant
    public var validationFraction = 0.0
    /// Stop when the validation loss has not improved for this many epochs, and restore the best weights.
    public var patience: Int? = nil
    public var augmentation = Augmentation()
    /// Cross-entropy against (1 − ε)·one-hot + ε/classes.
    public var labelSmoothing: Float = 0
    public init() {}
}

/// One row of the training log.
public struct EpochRecord: Codable, Sendable {
    public var epoch: Int
    public var trainLoss: Float, trainAccuracy: Float
    public var validationLoss: Float?, validationAccuracy: Float?
    public var learningRate: Float
    public var seconds: Double
    public var samplesPerSecond: Double

    public static let csvHeader = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_second"
    public var csv: String {
        func f(_ v: Float?) -> String { v.map { String(format: "%.6f", $0) } ?? "" }
        return "\(epoch),\(f(trainLoss)),\(f(trainAccuracy)),\(f(validationLoss)),\(f(validationAccuracy)),\(learningRate),"
            + String(format: "%.3f,%.1f", seconds, samplesPerSecond)
    }
}

/// Progress within an epoch, for a progress bar.
public struct BatchProgress: Sendable {
    public var epoch: Int, epochs: Int
    public var samplesDone: Int, samples: Int
    public var loss: Float, accuracy: Float
    public var samplesPerSecond: Double
    public var secondsLeftInEpoch: Double
}

/// Mini-batch gradient descent over a data set, epoch by epoch, with
/// validation, early stopping and everything a checkpoint needs to resume.
public final class Trainer {
    public let network: Network
    public let optimizer: Optimizer
    public let settings: TrainingSettings
    public internal(set) var history: [EpochRecord] = []
    /// Early stopping's best validation loss so far, its epoch and weights.
    var best: (loss: Float, epoch: Int, weights: [[Float]])?
    public internal(set) var nextEpoch = 0
    public private(set) var stoppedEarly = false
    /// Stopped by `shouldStop` before the last epoch: the weights are those of a part-finished epoch.
    public private(set) var interrupted = false
    /// What the run was asked to do, beyond the settings, for the checkpoint.
    var record: RunRecord?

    public init(network: Network, settings: TrainingSettings) {
        self.network = network; self.settings = settings
        optimizer = Optimizer(settings.optimizer, parameters: network.parameters)
    }

    /// Trains from `nextEpoch` to the last epoch. `onEpoch` runs after each
    /// (to log and checkpoint); `onBatch` reports progress. `shouldStop` is asked before every batch:
    /// true abandons the epoch in progress and sets `interrupted`.
    public func run(train: Dataset, validation: Dataset?, shouldStop: () -> Bool = { false },
                    onBatch: (BatchProgress) -> Void, onEpoch: (EpochRecord) throws -> Void) throws {
        try withSingleThreadedBLAS {
            try epochs(train: train, validation: validation, shouldStop: shouldStop, onBatch: onBatch, onEpoch: onEpoch)
        }
    }

    private func epochs(train: Dataset, validation: Dataset?, shouldStop: () -> Bool, onBatch: (BatchProgress) -> Void,
                        onEpoch: (EpochRecord) throws -> Void) throws {
        let parameters = network.parameters
        let size = train.sampleSize, shape = train.sampleShape, b = settings.batchSize
        while nextEpoch < settings.epochs && !stoppedEarly {
            let epoch = nextEpoch
            let rate = settings.schedule.rate(settings.optimizer.learningRate, epoch: epoch, epochs: settings.epochs)
            var order = Array(0..<train.count)
            var orderRng = RandomSource(seed: settings.seed, RandomPurpose.order, epoch)
            order.shuffle(using: &orderRng)
            network.reseed(seed: settings.seed, epoch: epoch)
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum = 0.0, correct = 0, seen = 0
            var batchStart = 0
            while batchStart < order.count {
                if shouldStop() { interrupted = true; return }
                let indices = Array(order[batchStart..<min(order.count, batchStart + b)])
                let x = assemble(train, indices, epoch: epoch, size: size, shape: shape)
                let logits = try network.forward(x, training: true)
                let result = CrossEntropy.evaluate(logits: logits, labels: indices.map { train.labels[$0] },
                                                   smoothing: settings.labelSmoothing)
                for p in parameters where p.trainable { p.zeroGrad() }
                try network.backward(result.gradient)
                optimizer.step(parameters, rate: rate)
                lossSum += Double(result.loss) * Double(indices.count); correct += result.correct; seen += indices.count
                batchStart += indices.count
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let speed = Double(seen) / max(elapsed, 1e-9)
                onBatch(BatchProgress(epoch: epoch + 1, epochs: settings.epochs, samplesDone: seen, samples: order.count,
                                      loss: Float(lossSum / Double(seen)), accuracy: Float(correct) / Float(seen),
                                      samplesPerSecond: speed, secondsLeftInEpoch: Double(order.count - seen) / speed))
            }
            guard lossSum.isFinite else {
                throw TrainingError("the loss became \(lossSum) in epoch \(epoch + 1): the learning rate \(rate) is probably too high")
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            var record = EpochRecord(epoch: epoch + 1, trainLoss: Float(lossSum / Double(seen)), trainAccuracy: Float(correct) / Float(seen),
                                     learningRate: rate, seconds: seconds, samplesPerSecond: Double(seen) / seconds)
            if let validation, validation.count > 0 {
                let (loss, accuracy) = try evaluate(validation)
                record.validationLoss = loss; record.validationAccuracy = accuracy
                if let patience = settings.patience {
                    if best == nil || loss < best!.loss {
                        best = (loss, epoch + 1, parameters.map(\.value))
                    } else if epoch + 1 - best!.epoch >= patience {
                        stoppedEarly = true
                        for (p, w) in zip(parameters, best!.weights) { p.value = w }
                    }
                }
            }
            history.append(record)
            nextEpoch = epoch + 1
            try onEpoch(record)
        }
        // At the end of a run with early stopping the best weights win, stopped early or not.
        if let best, settings.patience != nil, !stoppedEarly {
            for (p, w) in zip(parameters, best.weights) { p.value = w }
        }
    }

    public var bestEpoch: Int? { best?.epoch }

    /// Mean cross-entropy and accuracy in inference mode.
    public func evaluate(_ data: Dataset) throws -> (loss: Float, accuracy: Float) {
        let logits = try withSingleThreadedBLAS { try network.logits(data.tensor) }
        let r = CrossEntropy.evaluate(logits: logits, labels: data.labels)
        return (r.loss, Float(r.correct) / Float(max(data.count, 1)))
    }

    /// The batch's samples, augmented (each from its own seeded stream, on all cores).
    func assemble(_ data: Dataset, _ indices: [Int], epoch: Int, size: Int, shape: [Int]) -> Tensor {
        var x = Tensor(shape: [indices.count] + shape)
        let augmentation = settings.augmentation, seed = settings.seed
        data.pixels.withUnsafeBufferPointer { src in
            x.storage.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                if !augmentation.isEnabled {
                    for (slot, i) in indices.enumerated() { (d + slot * size).update(from: s + i * size, count: size) }
                    return
                }
                parallelRanges(indices.count) { slots in
                    for slot in slots {
                        var rng = RandomSource(seed: seed, RandomPurpose.augment, epoch, indices[slot])
                        augmentation.apply(s + indices[slot] * size, to: d + slot * size, channels: shape[0], height: shape[1], width: shape[2], rng: &rng)
                    }
                }
            }
        }
        return x
    }
}
