import Foundation
import ImageCodecs
import NeuralNet

/// Everything needed to continue a run where it stopped: the network (its ONNX model with the current
/// weights and running statistics), the optimizer's moments, the settings, the log so far and early
/// stopping's best weights, and what the run was given (data, architecture: `RunRecord`). JSON with the
/// numbers as base64 little-endian Float32 (and the model as
/// base64 protobuf), written atomically after every epoch.
public struct Checkpoint: Codable {
    /// 3 adds `run`; version 2 reads too, without it.
    public static let formatVersion = 3
    static let readable = [2, 3]
    static var readableText: String { readable.map(String.init).joined(separator: " and ") }
    var version = Checkpoint.formatVersion
    /// The network as an ONNX model.
    var model: Data
    var settings: TrainingSettings
    var nextEpoch: Int
    var optimizerSteps: Int
    var firstMoments: [Data]
    var secondMoments: [Data]
    var bestLoss: Float?
    var bestEpoch: Int?
    var bestWeights: [Data]?
    var history: [EpochRecord]
    var run: RunRecord?

    public init(_ trainer: Trainer) throws {
        model = Data(try ONNXWriter.bytes(trainer.network.model))
        settings = trainer.settings; nextEpoch = trainer.nextEpoch
        let state = trainer.optimizer.state
        optimizerSteps = state.steps
        firstMoments = state.first.map(Self.pack); secondMoments = state.second.map(Self.pack)
        bestLoss = trainer.best?.loss; bestEpoch = trainer.best?.epoch
        bestWeights = trainer.best?.weights.map(Self.pack)
        history = trainer.history
        run = trainer.record
    }

    public func write(to path: String) throws {
        try OutputFile.write(path, bytes: Array(try JSONEncoder().encode(self)))
    }

    public static func read(_ path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainingError("\(path): cannot read the checkpoint") }
        struct Version: Decodable { var version: Int }
        if let v = try? JSONDecoder().decode(Version.self, from: data), !readable.contains(v.version) {
            throw TrainingError("\(path): checkpoint format \(v.version), this build reads \(readableText)")
        }
        let checkpoint: Checkpoint
        do { checkpoint = try JSONDecoder().decode(Checkpoint.self, from: data) }
        catch { throw TrainingError("\(path): not a cnnfilter checkpoint (\(error.localizedDescription))") }
        guard readable.contains(checkpoint.version) else {
            throw TrainingError("\(path): checkpoint format \(checkpoint.version), this build reads \(readableText)")
        }
        return checkpoint
    }

    /// The trainer as it was, with `settings` for the rest of the run (more epochs, say).
    public func restore(path: String, settings override: TrainingSettings? = nil) throws -> Trainer {
        let (graph, proto) = try ONNXLoader.load(bytes: model, source: path, directory: ".")
        let network = try Network(graph: graph, model: proto, architecture: graph.metadata["cnnfilter.architecture"],
                                  labels: nil, path: path)
        let trainer = Trainer(network: network, settings: override ?? settings)
        try trainer.optimizer.restore(steps: optimizerSteps, first: firstMoments.map(Self.unpack), second: secondMoments.map(Self.unpack))
        trainer.nextEpoch = nextEpoch
        trainer.history = history
        if let bestLoss, let bestEpoch, let bestWeights {
            guard bestWeights.count == network.parameters.count else {
                throw TrainingError("\(path): \(bestWeights.count) "
                                    + "best tensors for \(network.parameters.count) parameters")
            }
            trainer.best = (bestLoss, bestEpoch, bestWeights.map(Self.unpack))
        }
        return trainer
    }

    static func pack(_ v: [Float]) -> Data { v.withUnsafeBytes { Data($0) } }
    static func unpack(_ d: Data) -> [Float] {
        var v = [Float](repeating: 0, count: d.count / 4)
        _ = v.withUnsafeMutableBytes { d.copyBytes(to: $0) }
        return v
    }
}
