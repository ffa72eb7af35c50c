import ArgumentParser
import Foundation
import ImageCodecs
import NeuralNet
import Training
import Visualize

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a CNN on images by gradient descent and export it as an ONNX model.",
        discussion: """
          cnnfilter train --data /usr/share/datasets/fashion-mnist --arch lenet5 --epochs 10 -o lenet5.onnx
          cnnfilter train --data DIR --arch net.arch --augment flip,rotate=10 --val-split 0.1 --patience 3 -o net.onnx
          cnnfilter train --data DIR --arch net.arch -o net.onnx --resume        # continue after Ctrl-C
        DIR holds IDX files (MNIST layout, gzipped or not) or train/<class>/*.png|jpg
        (and test/<class>/…). --arch is lenet5, an architecture file (one layer per
        line: conv 32 3 pad=1, bn, relu, maxpool 2, dropout 0.3, linear 128,
        linear classes, add NAME and from=NAME for skip connections, …) or an ONNX
        model to fine-tune, whole, whatever its graph. A checkpoint (OUTPUT.ckpt)
        and the log (OUTPUT.csv) are written after every epoch. A model to
        fine-tune meets the data by class name (an image folder's class is its
        folder name, the name with "/" written as "-").
        Ctrl-C stops after the batch in progress, writes the model of the last
        finished epoch and prints the command to continue (exit status 130).
        --resume takes every option not given from the checkpoint and refuses
        one given with another value. Only these may change on --resume:
          \(RunOption.changeable.joined(separator: ", "))
        """
    )

    @Option(help: "Directory with IDX files or train/<class>/ image folders.") var data: String
    @Option(help: "lenet5 (the default), an architecture file, or an ONNX model to fine-tune.") var arch: String?
    @Option(name: [.short, .long], help: "Where the trained model goes (.onnx).") var output: String
    @Option(help: "Passes over the training set (default 10; may change on --resume).") var epochs: Int?
    @Option(help: "Samples per gradient step (default 64).") var batchSize: Int?
    @Option(help: "Seed for weights, data order, dropout and augmentation (default 1).") var seed: UInt64?
    @Option(help: "sgd, momentum, nesterov, adam (the default) or adamw.") var optimizer: String?
    @Option(help: "Learning rate (default 0.001 for adam/adamw, 0.01 otherwise).") var lr: Float?
    @Option(help: "Momentum for momentum and nesterov (default 0.9).") var momentum: Float?
    @Option(help: "Weight decay (L2; decoupled for adamw; default 0). Biases and batch norm are not decayed.")
    var weightDecay: Float?
    @Option(help: "Learning rate schedule: constant (the default), step:EVERY[:GAMMA] or cosine.") var schedule: String?
    @Option(help: "Fraction of the training set held out for validation (default 0).") var valSplit: Double?
    @Option(help: "Label smoothing ε for the cross-entropy (the target is (1 − ε)·one-hot + ε/classes; default 0).")
    var labelSmoothing: Float?
    @Option(help: "Early stopping: stop after this many epochs with no better validation loss, keep the best weights.")
    var patience: Int?
    @Option(help: "Augmentation, comma-separated: flip, vflip, rotate=DEG, translate=PX, crop=PX, zoom=F, brightness=F")
    var augment: String?
    @Option(help: "Class names, one per line (default DIR/labels.txt, folder names, or Fashion-MNIST's).") var labels: String?
    @Option(help: "Checkpoint file (default OUTPUT.ckpt; may change on --resume).") var checkpoint: String?
    @Flag(help: "Continue from the checkpoint, with the same options (omitted ones are the checkpoint's).")
    var resume = false
    @Option(help: "CSV log of every epoch (default OUTPUT with .csv).") var log: String?
    @Option(help: "Draw the loss and accuracy curves into this PNG.") var plot: String?
    @Flag(help: "Do not standardise inputs with the training set's mean and std.") var noStandardize = false
    @Option(help: "Train on the first N training samples only.") var limit: Int?
    @Flag(help: "Print the time spent in each layer's forward and backward passes.") var profile = false

    func validate() throws {
        if let batchSize, batchSize < 1 || batchSize > 65536 {
            throw ValidationError("--batch-size must be between 1 and 65536")
        }
        if let epochs, epochs < 1 || epochs > 100000 { throw ValidationError("--epochs must be between 1 and 100000") }
        if let valSplit, !(valSplit >= 0 && valSplit < 1) { throw ValidationError("--val-split must be in [0, 1)") }
        if let patience, patience < 1 { throw ValidationError("--patience must be at least 1") }
        if let lr, !(lr > 0 && lr < 100) { throw ValidationError("--lr must be a positive number") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let labelSmoothing, !(labelSmoothing >= 0 && labelSmoothing < 1) {
            throw ValidationError("--label-smoothing must be in [0, 1)")
        }
        if let optimizer, OptimizerSettings.Rule(rawValue: optimizer) == nil {
            throw ValidationError("--optimizer must be one of \(OptimizerSettings.Rule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// The run-defining options given on the command line.
    var given: Set<RunOption> {
        let present: [RunOption: Bool] = [
            .data: true, .arch: arch != nil, .batchSize: batchSize != nil, .seed: seed != nil,
            .optimizer: optimizer != nil,
            .lr: lr != nil, .momentum: momentum != nil, .weightDecay: weightDecay != nil, .schedule: schedule != nil,
            .valSplit: valSplit != nil, .labelSmoothing: labelSmoothing != nil, .patience: patience != nil,
            .augment: augment != nil, .labels: labels != nil, .noStandardize: noStandardize, .limit: limit != nil,
        ]
        return Set(present.filter(\.value).keys)
    }

    func run() throws {
        do {
            var job = TrainingJob(data: data, architecture: arch ?? "lenet5", output: output)
            var s = TrainingSettings()
            s.epochs = epochs ?? 10; s.batchSize = batchSize ?? s.batchSize; s.seed = seed ?? s.seed
            s.optimizer.rule = optimizer.flatMap(OptimizerSettings.Rule.init(rawValue:)) ?? s.optimizer.rule
            s.optimizer.learningRate = lr ?? ([.adam, .adamw].contains(s.optimizer.rule) ? 0.001 : 0.01)
            s.optimizer.momentum = momentum ?? s.optimizer.momentum; s.optimizer.weightDecay = weightDecay ?? 0
            s.schedule = try schedule.map(LearningRateSchedule.parse) ?? .constant
            s.validationFraction = valSplit ?? 0; s.patience = patience; s.labelSmoothing = labelSmoothing ?? 0
            if let augment { s.augmentation = try Augmentation.parse(augment) }
            job.settings = s
            job.labelsFile = labels; job.checkpoint = checkpoint; job.log = log
            job.resume = resume; job.resumeEpochs = epochs; job.standardize = !noStandardize; job.limit = limit
            job.given = given

            let (trainer, source, train, validation) = try job.prepare()
            let removed = OutputFile.removeLeftovers(of: job.outputs + (plot.map { [$0] } ?? []))
            if !removed.isEmpty { note("cnnfilter: removed \(removed.count) temporary files a killed run left") }
            let net = trainer.network, settings = trainer.settings
            net.profiling = profile
            var intro = "training \(net.names.count) layers, \(net.trainableCount) parameters on \(train.count) samples"
            if let validation { intro += " (validating on \(validation.count))" }
            intro += "; \(settings.optimizer.rule.rawValue) lr \(settings.optimizer.learningRate), "
                + "batch \(settings.batchSize), "
                + "augmentation \(settings.augmentation.summary)"
            if resume { intro += "; resuming after epoch \(trainer.nextEpoch) of \(settings.epochs)" }
            note(intro)
            let bar = ProgressLine()
            let interrupt = Interrupt()
            let outcome = try job.run(trainer, source, train: train, validation: validation, stop: interrupt.flag,
                                      onBatch: { bar.update($0) },
                                      onEpoch: { r in bar.finish(epochLine(r, of: settings.epochs)) })
            interrupt.release()
            if outcome.interrupted {
                if outcome.finishedEpochs == 0 {
                    bar.finish("interrupted in epoch 1, before any epoch finished: nothing written; start again with: "
                               + Interrupt.command(resume: false))
                } else {
                    bar.finish("interrupted: \(job.checkpointPath) holds epoch \(outcome.finishedEpochs) "
                               + "of \(settings.epochs) "
                               + "and \(output) its model; continue with: \(Interrupt.command(resume: true))")
                }
                Foundation.exit(130)
            }
            if profile {
                note("seconds per layer (forward, backward):")
                for (name, t) in zip(net.names, net.timings) { note("  " + name.padding(toLength: max(14, name.count), withPad: " ", startingAt: 0) + String(format: " %8.3f %8.3f", t.forward, t.backward)) }
            }
            if trainer.stoppedEarly, let best = trainer.bestEpoch { note("stopped early: no better validation loss since epoch \(best); kept its weights") }
            if let plot {
                let h = trainer.history
                let curves = TrainingCurves.render(epochs: h.map(\.epoch), trainLoss: h.map(\.trainLoss), validationLoss: h.map(\.validationLoss),
                                                   trainAccuracy: h.map(\.trainAccuracy), validationAccuracy: h.map(\.validationAccuracy))
                try ImageWriter.write(curves, format: .png, to: plot)
            }
            note("wrote \(output) (log \(job.logPath), checkpoint \(job.checkpointPath))")
            if let test = outcome.test {
                print(String(format: "test accuracy %.4f (%d images), loss %.4f", test.accuracy, test.count, test.loss))
            }
        } catch { fail(error) }
    }

    func epochLine(_ r: EpochRecord, of epochs: Int) -> String {
        var s = String(format: "epoch %d/%d  loss %.4f  accuracy %.4f", r.epoch, epochs, r.trainLoss, r.trainAccuracy)
        if let vl = r.validationLoss, let va = r.validationAccuracy { s += String(format: "  val loss %.4f  val accuracy %.4f", vl, va) }
        s += String(format: "  %.1f s  %.0f samples/s", r.seconds, r.samplesPerSecond)
        return s
    }
}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Accuracy of a classifier on a data set: overall, per class and as a confusion matrix.",
        discussion: """
          cnnfilter eval lenet5.onnx --data /usr/share/datasets/fashion-mnist --plot confusion.png
        Uses the test set (t10k-* IDX files or test/<class>/), or the training set with --split train.
        The model takes N×C×H×W pixels in [0, 1], as 'cnnfilter train' exports them. Image folders
        meet the model's class names by name (a folder is the name with "/" as "-": T-shirt-top);
        IDX labels are numbers, unless DIR/labels.txt names them.
        """
    )

    @Argument(help: "An ONNX classifier.") var model: String
    @Option(help: "Directory with IDX files or train/ and test/ image folders.") var data: String
    @Option(help: "test or train.") var split: String = "test"
    @Option(help: "The model's class names, one per line in output order (default: those it stores).")
    var labels: String?
    @Option(help: "Draw the confusion matrix as a heat map into this PNG.") var plot: String?

    func run() throws {
        do {
            guard let which = DataSource.Split(rawValue: split) else {
                throw ValidationError("--split must be test or train")
            }
            let graph = try ONNXLoader.load(path: model)
            let set = try DataSource.load(data, split: which)
            let names = try labels.map { try ClassNames.read($0) }
            let evaluation = try Evaluation.run(graph, path: model, data: set, dataPath: data, labels: names,
                                                labelsFile: labels)
            print(evaluation.report)
            if let plot { try ImageWriter.write(ConfusionPlot.render(matrix: evaluation.confusion, labels: evaluation.labels), format: .png, to: plot) }
        } catch { fail(error) }
    }
}

/// Ctrl-C during `train`: the first SIGINT raises the flag, and the run stops after the batch in progress;
/// a second one exits at once.
final class Interrupt {
    let flag = StopFlag()
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let flag = self.flag
        source.setEventHandler {
            if flag.isRaised { Foundation.exit(130) }
            flag.raise()
        }
        source.resume()
    }

    func release() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }

    /// This command line as it was given, with --resume if `resume`, quoted for a POSIX shell.
    static func command(resume: Bool) -> String {
        var arguments = CommandLine.arguments
        if resume && !arguments.contains("--resume") { arguments.append("--resume") }
        return arguments.map(quote).joined(separator: " ")
    }

    static func quote(_ word: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !word.isEmpty && word.allSatisfy(plain.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
