import Foundation
import ImageCodecs

/// Everything needed to continue a run where it stopped: the network (as its
/// architecture text and weights), the optimizer's moments, the settings, the
/// log so far and early stopping's best weights. JSON with the numbers as
/// base64 little-endian Float32, written atomically after every epoch.
public struct Checkpoint: Codable {
    public static let formatVersion = 1
    var version = Checkpoint.formatVersion
    var architecture: String
    var inputShape: [Int]
    var labels: [String]
    var settings: TrainingSettings
    var nextEpoch: Int
    var parameters: [Data]
    var optimizerSteps: Int
    var firstMoments: [Data]
    var secondMoments: [Data]
    var bestLoss: Float?
    var bestEpoch: Int?
    var bestWeights: [Data]?
    var history: [EpochRecord]

    public init(_ trainer: Trainer) {
        let net = trainer.network
        architecture = net.architecture; inputShape = net.inputShape; labels = net.labels
        settings = trainer.settings; nextEpoch = trainer.nextEpoch
        parameters = net.parameters.map { Self.pack($0.value) }
        let state = trainer.optimizer.state
        optimizerSteps = state.steps
        firstMoments = state.first.map(Self.pack); secondMoments = state.second.map(Self.pack)
        bestLoss = trainer.best?.loss; bestEpoch = trainer.best?.epoch
        bestWeights = trainer.best?.weights.map(Self.pack)
        history = trainer.history
    }

    public func write(to path: String) throws {
        try OutputFile.write(path, bytes: Array(try JSONEncoder().encode(self)))
    }

    public static func read(_ path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainingError("\(path): cannot read the checkpoint") }
        let checkpoint: Checkpoint
        do { checkpoint = try JSONDecoder().decode(Checkpoint.self, from: data) }
        catch { throw TrainingError("\(path): not a cnnfilter checkpoint (\(error.localizedDescription))") }
        guard checkpoint.version == formatVersion else { throw TrainingError("\(path): checkpoint format \(checkpoint.version), this build reads \(formatVersion)") }
        return checkpoint
    }

    /// The trainer as it was, with `settings` for the rest of the run (more epochs, say).
    public func restore(path: String, settings override: TrainingSettings? = nil) throws -> Trainer {
        let arch = try Architecture.parse(architecture, source: path)
        let network = try arch.build(input: inputShape, classes: labels.count, labels: labels, seed: settings.seed)
        let params = network.parameters
        guard params.count == parameters.count else { throw TrainingError("\(path): \(parameters.count) tensors for \(params.count) parameters") }
        for (p, blob) in zip(params, parameters) {
            let values = Self.unpack(blob)
            guard values.count == p.count else { throw TrainingError("\(path): \(p.name) holds \(values.count) values, expected \(p.count)") }
            p.value = values
        }
        let trainer = Trainer(network: network, settings: override ?? settings)
        try trainer.optimizer.restore(steps: optimizerSteps, first: firstMoments.map(Self.unpack), second: secondMoments.map(Self.unpack))
        trainer.nextEpoch = nextEpoch
        trainer.history = history
        if let bestLoss, let bestEpoch, let bestWeights { trainer.best = (bestLoss, bestEpoch, bestWeights.map(Self.unpack)) }
        return trainer
    }

    static func pack(_ v: [Float]) -> Data { v.withUnsafeBytes { Data($0) } }
    static func unpack(_ d: Data) -> [Float] {
        var v = [Float](repeating: 0, count: d.count / 4)
        _ = v.withUnsafeMutableBytes { d.copyBytes(to: $0) }
        return v
    }
}
