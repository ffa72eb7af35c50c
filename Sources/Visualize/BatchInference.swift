import Dispatch
import Foundation
import ImageCodecs
import NeuralNet
import Tensors

/// Runs a model over many inputs a batch at a time: a batch's photos are decoded and prepared on
/// every core (`ThreadLimit`), stacked into one N×C×H×W tensor and run at once, and each item's
/// output is handed back in input order, as its own 1×… tensor.
///
/// An item's scores may differ from those of the same input run alone in their last bits: the
/// products of a fully connected layer (OpenBLAS) are summed in an order that depends on the number
/// of rows and on a row's place among them (docs/batch.md: probabilities within 4e-7 for LeNet-5).
///
/// Only models whose input fixes every size but the batch's run batches: each photo is prepared to
/// that size, so a batch's items are alike. An input whose tensor is not that size (a .npy) runs
/// alone, and fails there with the model's own error. When a batch fails or its output does not keep
/// the items apart (its first dimension is not N), its inputs are run again one at a time, so that
/// an error names its own file; if they all succeed so, the rest of the list runs one at a time too.
public struct BatchInference: Sendable {
    public let graph: Graph
    public let runner: ModelRunner
    public var preparation: InputPreparation
    /// Inputs per model run.
    public let batchSize: Int
    /// Told once, when the model turns out not to run batches.
    public var onNote: @Sendable (String) -> Void = { _ in }
    /// The model's file, which errors from running it name.
    public var name = "the model"
    /// Called after each batch with the nanoseconds spent preparing its inputs and running the model
    /// (CNNFILTER_PROFILE).
    public var timed: @Sendable (_ prepare: UInt64, _ model: UInt64) -> Void = { _, _ in }

    /// `batchSize` nil: `defaultBatchSize(for:)`. A model that does not take batches gets 1.
    public init(graph: Graph, preparation: InputPreparation, batchSize: Int? = nil) throws {
        guard graph.inputs.count == 1 else {
            throw ModelError("the model takes \(graph.inputs.count) inputs; give it one")
        }
        self.graph = graph
        self.runner = try ModelRunner(graph)
        self.preparation = preparation
        self.batchSize = Self.acceptsBatches(graph) ? max(1, batchSize ?? Self.defaultBatchSize(for: graph)) : 1
    }

    /// Whether the model's input leaves its batch dimension free (`?` in `cnnfilter info`) and fixes
    /// the others.
    public static func acceptsBatches(_ graph: Graph) -> Bool {
        guard let input = graph.inputs.first, input.shape.count >= 2 else { return false }
        return input.shape[0] == nil && input.shape.dropFirst().allSatisfy { $0 != nil }
    }

    /// One item's shape: 1 × the input's declared sizes.
    var itemShape: [Int] { [1] + graph.inputs[0].shape.dropFirst().map { $0 ?? 0 } }

    /// Inputs per run for a model: as many as keep the widest layer of a batch near 16 MB (one item's
    /// values, from the input's declared size), a power of two from 1 to 64. Large-image models get
    /// small batches, whose activations stay near the caches; small ones large batches, which share
    /// out each layer's fixed cost. See docs/performance.md, "Batched inference".
    public static func defaultBatchSize(for graph: Graph) -> Int {
        guard acceptsBatches(graph), let widest = widestLayerBytes(graph) else { return 1 }
        var size = 1
        while size < 64 && (size * 2) * widest <= 16 << 20 { size *= 2 }
        return size
    }

    /// The bytes of the largest value one item makes in the model, from a run on zeros at the input's
    /// declared size (nil when that size is not fixed, or the run fails).
    static func widestLayerBytes(_ graph: Graph) -> Int? {
        guard acceptsBatches(graph), let layers = try? ModelSummary.layers(of: graph) else { return nil }
        let input = graph.inputs[0].shape.dropFirst().reduce(1) { $0 * $1! }
        return max(input, layers.map { $0.outputShape.dropFirst().reduce(1, *) }.max() ?? 1) * 4
    }

    /// Runs every input, a batch at a time; after each batch `deliver` gets, for each of its inputs
    /// in order, the input's index in `inputs` and the model's first output for it (or the error it
    /// met), on the calling thread. An error `deliver` throws ends the run.
    public func run(_ inputs: [String],
                    deliver: ([(index: Int, output: Result<Tensor, Error>)]) throws -> Void) rethrows {
        var size = batchSize
        var start = 0
        while start < inputs.count {
            let chunk = Array(start..<min(inputs.count, start + size))
            let began = DispatchTime.now().uptimeNanoseconds
            let prepared = prepare(chunk.map { inputs[$0] })
            let ready = DispatchTime.now().uptimeNanoseconds
            var outputs = prepared.map { _ in Result<Tensor, Error>?.none }
            let alike = size == 1 ? [] : prepared.indices.filter { (try? prepared[$0].get())?.shape == itemShape }
            var failure: String? = nil
            if !alike.isEmpty {
                do {
                    if let items = try runBatch(alike.map { try! prepared[$0].get() }) {
                        for (k, i) in alike.enumerated() { outputs[i] = .success(items[k]) }
                    } else {
                        failure = "its output does not keep a batch's items apart"
                    }
                } catch { failure = "\(error)" }
            }
            for i in prepared.indices where outputs[i] == nil {
                outputs[i] = prepared[i].flatMap { x in Result { try runOne(x) } }
            }
            if let failure, alike.allSatisfy({ (try? outputs[$0]!.get()) != nil }) {
                // Each input runs alone but not in a batch: the model does not take batches after all.
                onNote("a batch of \(size) failed (\(failure)); running one input at a time")
                size = 1
            }
            timed(ready - began, DispatchTime.now().uptimeNanoseconds - ready)
            try deliver(chunk.enumerated().map { k, i in (i, outputs[k]!) })
            start += chunk.count
        }
    }

    /// The inputs decoded and prepared at once, each on its own thread within the limit.
    func prepare(_ paths: [String]) -> [Result<Tensor, Error>] {
        let input = graph.inputs[0]
        var results = [Result<Tensor, Error>](repeating: .failure(CodecError("", "not prepared")), count: paths.count)
        results.withUnsafeMutableBufferPointer { slots in
            let base = slots.baseAddress!
            ThreadLimit.perform(iterations: paths.count) { i in
                base[i] = Result { try preparation.tensor(from: paths[i], for: input) }
            }
        }
        return results
    }

    func runOne(_ x: Tensor) throws -> Tensor {
        do {
            guard let y = try runner.run([graph.inputs[0].name: x])[graph.outputs[0]] else {
                throw ModelError("the model computed no output")
            }
            return y
        } catch let e as ModelError { throw ModelError("\(name): \(e.message)") }
    }

    /// The items stacked along the first dimension, run once, and the output cut back into items;
    /// nil when the output's first dimension is not the number of items.
    func runBatch(_ items: [Tensor]) throws -> [Tensor]? {
        let shape = [items.count] + itemShape.dropFirst()
        var values: [Float] = []
        values.reserveCapacity(try MemoryBudget.count(shape, "a batch of \(items.count) inputs"))
        for x in items { values += x.storage }
        let y = try runOne(Tensor(shape: shape, values: values))
        guard y.rank >= 1, y.shape[0] == items.count else { return nil }
        let rest = Array(y.shape.dropFirst()), per = rest.reduce(1, *)
        return (0..<items.count).map { k in
            Tensor(shape: [1] + rest, values: Array(y.storage[(k * per)..<((k + 1) * per)]))
        }
    }
}
