import Foundation
import ImageCodecs
import NeuralNet

/// A whole `cnnfilter train` run: data, network (from a named architecture,
/// a text file or an ONNX model to fine-tune, or a checkpoint to resume),
/// training with a checkpoint and CSV log after every epoch, export, and the
/// test accuracy at the end.
public struct TrainingJob {
    public var data: String
    /// `lenet5`, an architecture file, or an ONNX model to fine-tune.
    public var architecture: String
    public var output: String
    public var settings = TrainingSettings()
    public var labelsFile: String?
    /// Defaults to OUTPUT.ckpt.
    public var checkpoint: String?
    /// Defaults to OUTPUT with .csv for its extension.
    public var log: String?
    public var resume = false
    /// Epochs asked for on a resumed run (nil: as the checkpoint says).
    public var resumeEpochs: Int?
    /// Bake the training set's per-channel mean and std into the network's first layer.
    public var standardize = true
    /// Train on the first N samples only (quick experiments and tests).
    public var limit: Int?

    public init(data: String, architecture: String, output: String) {
        self.data = data; self.architecture = architecture; self.output = output
    }

    public var checkpointPath: String { checkpoint ?? output + ".ckpt" }
    public var logPath: String { log ?? ((output as NSString).deletingPathExtension + ".csv") }

    public struct Outcome {
        public var trainer: Trainer
        public var test: (loss: Float, accuracy: Float, count: Int)?
        public var trainCount: Int, validationCount: Int
    }

    /// Loads the data and builds or restores the trainer (no training yet), so
    /// a caller can report what is about to happen.
    public func prepare() throws -> (Trainer, DataSource, train: Dataset, validation: Dataset?) {
        var source = try DataSource.load(data, labelsFile: labelsFile)
        if let limit, limit < source.train.count { source.train = source.train.subset(Array(0..<limit)) }
        let trainer: Trainer
        if resume {
            guard FileManager.default.fileExists(atPath: checkpointPath) else { throw TrainingError("\(checkpointPath): no checkpoint to resume from") }
            let checkpoint = try Checkpoint.read(checkpointPath)
            var settings = checkpoint.settings
            if let resumeEpochs { settings.epochs = resumeEpochs }
            trainer = try checkpoint.restore(path: checkpointPath, settings: settings)
            guard trainer.network.inputShape == source.train.sampleShape, trainer.network.classes == source.train.classNames.count else {
                throw TrainingError("\(checkpointPath): the checkpoint's network takes \(shapeText(trainer.network.inputShape)) with \(trainer.network.classes) classes; \(data) has \(shapeText(source.train.sampleShape)) with \(source.train.classNames.count)")
            }
        } else {
            trainer = Trainer(network: try network(for: source.train), settings: settings)
        }
        let s = trainer.settings
        let (train, validation) = s.validationFraction > 0
            ? source.train.split(validation: s.validationFraction, seed: s.seed) : (source.train, nil)
        if s.patience != nil && validation == nil { throw TrainingError("early stopping (--patience) needs a validation set: add --val-split") }
        return (trainer, source, train, validation)
    }

    func network(for train: Dataset) throws -> Network {
        if architecture.lowercased().hasSuffix(".onnx") {
            let network = try Network.read(architecture)
            guard network.inputShape == train.sampleShape else {
                throw TrainingError("\(architecture): the model takes \(shapeText(network.inputShape)), the data is \(shapeText(train.sampleShape))")
            }
            guard network.classes == train.classNames.count else {
                throw TrainingError("\(architecture): the model has \(network.classes) outputs, the data \(train.classNames.count) classes")
            }
            network.labels = train.classNames
            return network
        }
        let text: String, source: String
        if let named = Architecture.named(architecture) { (text, source) = (named, architecture) }
        else {
            guard let contents = try? String(contentsOfFile: architecture, encoding: .utf8) else {
                throw TrainingError("\(architecture): neither a known architecture (lenet5) nor a readable architecture file or .onnx model")
            }
            (text, source) = (contents, architecture)
        }
        var arch = try Architecture.parse(text, source: source)
        if standardize {
            let (mean, std) = train.channelStatistics()
            arch.lines.insert(.init(spec: .standardize(mean: mean, std: std), name: "standardize", number: 0, text: "standardize"), at: 0)
        }
        return try arch.build(input: train.sampleShape, classes: train.classNames.count, labels: train.classNames, seed: settings.seed)
    }

    /// Trains, writing the checkpoint and log after every epoch and the model at the end.
    public func run(_ trainer: Trainer, _ source: DataSource, train: Dataset, validation: Dataset?,
                    onBatch: (BatchProgress) -> Void, onEpoch: (EpochRecord) -> Void) throws -> Outcome {
        try trainer.run(train: train, validation: validation, onBatch: onBatch) { record in
            try Checkpoint(trainer).write(to: checkpointPath)
            try writeLog(trainer.history)
            onEpoch(record)
        }
        try ModelExport.write(trainer.network, to: output)
        var outcome = Outcome(trainer: trainer, trainCount: train.count, validationCount: validation?.count ?? 0)
        if let test = source.test {
            let (loss, accuracy) = try trainer.evaluate(test)
            outcome.test = (loss, accuracy, test.count)
        }
        return outcome
    }

    func writeLog(_ history: [EpochRecord]) throws {
        let text = ([EpochRecord.csvHeader] + history.map(\.csv)).joined(separator: "\n") + "\n"
        try OutputFile.write(logPath, bytes: Array(text.utf8))
    }
}
