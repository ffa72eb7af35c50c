import FilterPipeline
import Foundation
import ImageCodecs
import NeuralNet
import Tensors

/// `predict` and `run` over many inputs, on `BatchInference`: what each input's output becomes, and
/// what is reported about it (`BatchTally`: processed, skipped, failed, progress).
extension BatchInference {
    /// Each input's answer in `lines`' format goes to `log`, in the order of `inputs`, a batch of
    /// lines at a time (after `header`, when given, at the start). Inputs in `answered` (by
    /// `BatchInputs.key`) are skipped. An error that is the same for every input (labels that do
    /// not fit the model, a write error) ends the run and is thrown.
    public func predict(_ inputs: [String], lines: PredictionLines, header: String? = nil,
                        skipping answered: Set<String> = [], into log: LineLog, tally: BatchTally) throws {
        var pending: [String] = []
        for input in inputs {
            if answered.contains(BatchInputs.key(input)) { tally.skipped() } else { pending.append(input) }
        }
        let modelLabels = Prediction.labels(of: graph)
        var text = header ?? ""
        try run(pending) { results in
            var outcomes: [(String, Error?)] = []
            for (i, output) in results {
                let path = pending[i]
                do {
                    text += try lines.lines(path: path, output: try output.get(), modelLabels: modelLabels)
                    outcomes.append((path, nil))
                } catch let e as ModelError where (try? output.get()) != nil {
                    throw e  // the output itself does not fit: every input's would not
                } catch {
                    let message = error is CodecError ? "\(error)" : "\(CodecError(path, "\(error)"))"
                    text += lines.failure(path: path, error: message)
                    outcomes.append((path, error))
                }
            }
            try log.write(text)
            text = ""
            for (path, error) in outcomes {
                if let error { tally.failed(path, error) } else { tally.processed() }
            }
        }
        try log.write(text)  // the header of an output with nothing left to answer
    }

    /// `run`: each input's output as .npy at its target's path (written whole, then renamed into
    /// place), its directory made first with `makeDirectories`. With `skipExisting`, targets whose
    /// file exists are skipped.
    public func writeOutputs(_ targets: [OutputTarget], skipExisting: Bool = false, makeDirectories: Bool = false,
                             tally: BatchTally) {
        var pending: [OutputTarget] = []
        for t in targets {
            if skipExisting && t.isWritten { tally.skipped() } else { pending.append(t) }
        }
        run(pending.map(\.input)) { results in
            for (i, output) in results {
                let t = pending[i]
                do {
                    let y = try output.get()
                    if makeDirectories { try t.createDirectory() }
                    try OutputFile.write(t.path, bytes: NPYCodec.encode(y))
                    tally.processed()
                } catch {
                    tally.failed(t.input, error)
                }
            }
        }
    }
}
