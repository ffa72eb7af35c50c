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
    /// The options the caller gave (rather than left to their defaults). A resumed run compares each with
    /// the checkpoint and refuses a difference; the others it takes from the checkpoint.
    public var given: Set<RunOption> = []

    public init(data: String, architecture: String, output: String) {
        self.data = data; self.architecture = architecture; self.output = output
    }

    public var checkpointPath: String { checkpoint ?? output + ".ckpt" }
    public var logPath: String { log ?? ((output as NSString).deletingPathExtension + ".csv") }
    /// The files a run writes: the model, its checkpoint and its log.
    public var outputs: [String] { [output, checkpointPath, logPath] }

    public struct Outcome {
        public var trainer: Trainer
        public var test: (loss: Float, accuracy: Float, count: Int)?
        public var trainCount: Int, validationCount: Int
        /// Stopped by the stop flag: the model (if written) and the checkpoint hold `finishedEpochs`.
        public var interrupted = false
        public var finishedEpochs = 0
        /// Whether the model file was written (an interrupted run writes it only after a finished epoch).
        public var wroteModel = true
    }

    /// Loads the data and builds or restores the trainer (no training yet), so
    /// a caller can report what is about to happen.
    public func prepare() throws -> (Trainer, DataSource, train: Dataset, validation: Dataset?) {
        var job = self
        let checkpoint: Checkpoint?
        if resume {
            guard FileManager.default.fileExists(atPath: checkpointPath) else { throw TrainingError("\(checkpointPath): no checkpoint to resume from") }
            let stored = try Checkpoint.read(checkpointPath)
            // Options not given are the checkpoint's.
            if let run = stored.run {
                if !given.contains(.labels) { job.labelsFile = run.labelsFile }
                if !given.contains(.limit) { job.limit = run.limit }
                if !given.contains(.noStandardize) { job.standardize = run.standardize }
                if !given.contains(.arch) { job.architecture = run.architecture }
            }
            checkpoint = stored
        } else { checkpoint = nil }
        var source = try DataSource.load(data, labelsFile: job.labelsFile)
        if let limit = job.limit, limit < source.train.count { source.train = source.train.subset(Array(0..<limit)) }
        let record = job.record(for: source.train)
        let trainer: Trainer
        if let checkpoint {
            let differences = job.differences(from: checkpoint, record: record)
            guard differences.isEmpty else {
                throw TrainingError("\(checkpointPath): " + differences.joined(separator: "; ")
                                    + " (on --resume only \(RunOption.changeable.joined(separator: ", ")) may change)")
            }
            var settings = checkpoint.settings
            if let resumeEpochs {
                guard resumeEpochs >= checkpoint.nextEpoch else {
                    throw TrainingError("\(checkpointPath): --epochs \(resumeEpochs), but the checkpoint has finished "
                                        + "\(checkpoint.nextEpoch) epochs")
                }
                settings.epochs = resumeEpochs
            }
            trainer = try checkpoint.restore(path: checkpointPath, settings: settings)
            let net = trainer.network
            guard net.inputShape == source.train.sampleShape else {
                throw TrainingError("\(checkpointPath): the checkpoint's network takes \(shapeText(net.inputShape)); "
                                    + "\(data) has \(shapeText(source.train.sampleShape))")
            }
            try source.match(net.labels, file: checkpointPath, data: data, theirs: "the checkpoint's network")
        } else {
            let network = try job.network(for: &source)
            trainer = Trainer(network: network, settings: settings)
        }
        trainer.record = record
        let s = trainer.settings
        let (train, validation) = s.validationFraction > 0
            ? source.train.split(validation: s.validationFraction, seed: s.seed) : (source.train, nil)
        if s.patience != nil && validation == nil { throw TrainingError("early stopping (--patience) needs a validation set: add --val-split") }
        return (trainer, source, train, validation)
    }

    /// The network to train; a model to fine-tune meets the data's classes by name (see `ClassNames`).
    func network(for source: inout DataSource) throws -> Network {
        let train = source.train
        if architecture.lowercased().hasSuffix(".onnx") {
            let network = try Network.read(architecture)
            guard network.inputShape == train.sampleShape else {
                throw TrainingError("\(architecture): the model takes \(shapeText(network.inputShape)), the data is \(shapeText(train.sampleShape))")
            }
            if let labels = network.graph.labels {
                guard labels.count == network.classes else {
                    throw TrainingError("\(architecture): the model stores \(labels.count) class names for its "
                                        + "\(network.classes) outputs")
                }
                try source.match(labels, file: architecture, data: data, theirs: "the model")
            } else {
                // A model without class names takes the data's, in the data's order.
                guard network.classes == train.classNames.count else {
                    throw TrainingError("\(architecture): the model has \(network.classes) outputs, "
                                        + "the data \(train.classNames.count) classes")
                }
                network.labels = train.classNames
            }
            return network
        }
        let text: String, origin: String
        if let named = Architecture.named(architecture) { (text, origin) = (named, architecture) }
        else {
            guard let contents = try? String(contentsOfFile: architecture, encoding: .utf8) else {
                throw TrainingError("\(architecture): neither a known architecture (lenet5) nor a readable architecture file or .onnx model")
            }
            (text, origin) = (contents, architecture)
        }
        var arch = try Architecture.parse(text, source: origin)
        if standardize {
            let (mean, std) = train.channelStatistics()
            arch.lines.insert(.init(spec: .standardize(mean: mean, std: std), name: "standardize", number: 0, text: "standardize"), at: 0)
        }
        return try arch.build(input: train.sampleShape, classes: train.classNames.count, labels: train.classNames, seed: settings.seed)
    }

    /// Trains, writing the checkpoint and log after every epoch and the model at the end. When `stop` is
    /// raised the batch in progress is the last: the network goes back to the last finished epoch, which
    /// the checkpoint holds, and the model is written from it (if an epoch finished).
    public func run(_ trainer: Trainer, _ source: DataSource, train: Dataset, validation: Dataset?,
                    stop: StopFlag? = nil,
                    onBatch: (BatchProgress) -> Void, onEpoch: (EpochRecord) -> Void) throws -> Outcome {
        var finished = trainer.network.parameters.map(\.value)
        try trainer.run(train: train, validation: validation, shouldStop: { stop?.isRaised ?? false },
                        onBatch: onBatch) { record in
            try Checkpoint(trainer).write(to: checkpointPath)
            try writeLog(trainer.history)
            if stop != nil { finished = trainer.network.parameters.map(\.value) }
            onEpoch(record)
        }
        var outcome = Outcome(trainer: trainer, trainCount: train.count, validationCount: validation?.count ?? 0)
        outcome.finishedEpochs = trainer.nextEpoch
        if trainer.interrupted {
            outcome.interrupted = true
            for (p, v) in zip(trainer.network.parameters, finished) { p.value = v }
            outcome.wroteModel = trainer.nextEpoch > 0
            if outcome.wroteModel { try ModelExport.write(trainer.network, to: output) }
            return outcome
        }
        try ModelExport.write(trainer.network, to: output)
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

extension DataSource {
    /// Both sets renumbered to `classes` by name (IDX labels without names: by number).
    mutating func match(_ classes: [String], file: String, data: String, theirs: String) throws {
        train = try train.matched(to: classes, file: file, ours: data, theirs: theirs)
        test = try test?.matched(to: classes, file: file, ours: data + "/test", theirs: theirs)
    }
}

/// Raised (from a signal handler's queue, say) to stop a run after the batch in progress.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    public init() {}
    public func raise() { lock.lock(); raised = true; lock.unlock() }
    public var isRaised: Bool { lock.lock(); defer { lock.unlock() }; return raised }
}
