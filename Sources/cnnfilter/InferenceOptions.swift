import ArgumentParser
import Foundation
import NeuralNet
import Visualize

/// How a model runs over many inputs (shared by predict and run).
struct InferenceOptions: ParsableArguments {

    @Option(name: .customLong("batch-size"),
            help: ArgumentHelp("Inputs per model run (default: from the model's size, 1 to 64).", valueName: "N"))
    var batchSize: Int?

    func validate() throws {
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size \(batchSize): give at least 1") }
    }

    /// The batched runner for `inputs` inputs of `model` (one input: batches of one), with its notes
    /// on stderr.
    func inference(_ graph: Graph, model: String, preparation: InputPreparation, inputs: Int) throws -> BatchInference {
        if let batchSize, batchSize > 1, !BatchInference.acceptsBatches(graph) {
            note("cnnfilter: \(model): the model's input fixes its batch size; running one input at a time")
        }
        var inference: BatchInference
        do {
            inference = try BatchInference(graph: graph, preparation: preparation,
                                           batchSize: inputs > 1 ? batchSize : 1)
        } catch let e as ModelError { throw ModelError("\(model): \(e.message)") }
        inference.onNote = { note("cnnfilter: \(model): \($0)") }
        inference.name = model
        if ProcessInfo.processInfo.environment["CNNFILTER_PROFILE"] != nil { inference.timed = BatchProfile.shared.add }
        return inference
    }
}

/// With CNNFILTER_PROFILE set, the seconds a run spent preparing inputs and running the model.
final class BatchProfile: @unchecked Sendable {
    static let shared = BatchProfile()
    private var prepare: UInt64 = 0, model: UInt64 = 0, batches = 0

    /// Called on the thread that runs the batches.
    func add(_ p: UInt64, _ m: UInt64) {
        prepare += p; model += m; batches += 1
    }

    /// On stderr, when any batch was timed.
    func report() {
        guard batches > 0 else { return }
        note(String(format: "cnnfilter: %d batches: preparing the inputs %.2f s, running the model %.2f s", batches,
                    Double(prepare) / 1e9, Double(model) / 1e9))
    }
}
