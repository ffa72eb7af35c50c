import Foundation

/// The options that define a training run, as `cnnfilter train` spells them. A resumed run takes each
/// one it is not given from the checkpoint and refuses each one it is given with another value.
public enum RunOption: String, CaseIterable, Sendable {
    case data = "--data", arch = "--arch", batchSize = "--batch-size", seed = "--seed", optimizer = "--optimizer",
         lr = "--lr", momentum = "--momentum", weightDecay = "--weight-decay", schedule = "--schedule",
         valSplit = "--val-split", labelSmoothing = "--label-smoothing", patience = "--patience", augment = "--augment",
         labels = "--labels", noStandardize = "--no-standardize", limit = "--limit"

    /// What may change on `--resume`: how long the run goes on and where its files go.
    public static let changeable = ["--epochs", "-o/--output", "--checkpoint", "--log", "--plot", "--profile"]
}

/// What a checkpoint records of its run besides the settings: the data (its path and a fingerprint of
/// the samples), the architecture as given, and the options that shape the data and the network.
public struct RunRecord: Codable, Sendable, Equatable {
    /// The data directory, absolute.
    var data: String
    /// FNV-1a (64 bits) over the training samples' shape, labels, class names and pixels, as loaded.
    var fingerprint: String
    var samples: Int
    /// `lenet5`, or the architecture file or ONNX model's absolute path.
    var architecture: String
    /// The labels file, absolute; nil for none.
    var labelsFile: String?
    var standardize: Bool
    var limit: Int?

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func architectureName(_ arch: String) -> String { Architecture.named(arch) != nil ? arch : absolute(arch) }

    static func fingerprint(_ data: Dataset) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func mix(_ v: UInt64) { hash = (hash ^ v) &* 0x0000_0100_0000_01b3 }
        for d in data.sampleShape { mix(UInt64(d)) }
        for name in data.classNames { for b in name.utf8 { mix(UInt64(b)) }; mix(0xff) }
        data.labels.withUnsafeBufferPointer { for l in $0 { mix(UInt64(UInt(bitPattern: l))) } }
        data.pixels.withUnsafeBufferPointer { for p in $0 { mix(UInt64(p.bitPattern)) } }
        return String(hash, radix: 16)
    }
}

extension TrainingJob {
    /// This job's record of its run, for the data as loaded (before a model renumbers its classes).
    func record(for train: Dataset) -> RunRecord {
        RunRecord(data: RunRecord.absolute(data), fingerprint: RunRecord.fingerprint(train), samples: train.count,
                  architecture: RunRecord.architectureName(architecture),
                  labelsFile: labelsFile.map(RunRecord.absolute),
                  standardize: standardize, limit: limit)
    }

    /// Each option in `given` whose value differs from the checkpoint's run, as "--lr 0.01 differs from the
    /// checkpoint's 0.001". `record` is nil for checkpoints written before runs were recorded.
    func differences(from checkpoint: Checkpoint, record current: RunRecord) -> [String] {
        let theirs = checkpoint.settings, ours = settings, old = checkpoint.run
        var out: [String] = []
        func compare(_ option: RunOption, _ mine: String, _ stored: String?) {
            guard given.contains(option), let stored, mine != stored else { return }
            out.append("\(option.rawValue) \(mine) differs from the checkpoint's \(stored)")
        }
        if let old, old.fingerprint != current.fingerprint {
            out.append(old.data == current.data
                ? "--data \(data) holds other samples than when the checkpoint was written "
                    + "(\(current.samples) now, \(old.samples) then)"
                : "--data \(data) differs from the checkpoint's \(old.data) "
                    + "(other samples: \(current.samples), not \(old.samples))")
        }
        compare(.arch, current.architecture, old?.architecture)
        compare(.batchSize, "\(ours.batchSize)", "\(theirs.batchSize)")
        compare(.seed, "\(ours.seed)", "\(theirs.seed)")
        compare(.optimizer, ours.optimizer.rule.rawValue, theirs.optimizer.rule.rawValue)
        compare(.lr, "\(ours.optimizer.learningRate)", "\(theirs.optimizer.learningRate)")
        compare(.momentum, "\(ours.optimizer.momentum)", "\(theirs.optimizer.momentum)")
        compare(.weightDecay, "\(ours.optimizer.weightDecay)", "\(theirs.optimizer.weightDecay)")
        compare(.schedule, ours.schedule.text, theirs.schedule.text)
        compare(.valSplit, "\(ours.validationFraction)", "\(theirs.validationFraction)")
        compare(.labelSmoothing, "\(ours.labelSmoothing)", "\(theirs.labelSmoothing)")
        compare(.patience, ours.patience.map(String.init) ?? "none", theirs.patience.map(String.init) ?? "none")
        compare(.augment, ours.augmentation.summary, theirs.augmentation.summary)
        if given.contains(.labels), let old, current.labelsFile != old.labelsFile {
            let stored = old.labelsFile ?? "none (folder names or DIR/labels.txt)"
            out.append("--labels \(labelsFile ?? "") differs from the checkpoint's \(stored)")
        }
        if given.contains(.noStandardize), let old, old.standardize != standardize {
            out.append("--no-standardize differs from the checkpoint's run, which standardised its inputs")
        }
        compare(.limit, limit.map(String.init) ?? "none", old.map { $0.limit.map(String.init) ?? "none" })
        return out
    }
}

extension LearningRateSchedule {
    /// As `--schedule` takes it.
    public var text: String {
        switch self {
        case .constant: return "constant"
        case .cosine: return "cosine"
        case .step(let every, let gamma): return "step:\(every):\(gamma)"
        }
    }
}
