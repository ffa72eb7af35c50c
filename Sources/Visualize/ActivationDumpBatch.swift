import Foundation
import ImageCodecs
import NeuralNet
import Tensors

extension ActivationDump {
    /// A file as the model's input (a photo prepared for it, a .npy as it is) and, with `overlay`,
    /// the photo at the input's size to draw the maps over.
    public static func input(_ file: String, for graph: Graph, preparation: InputPreparation,
                             overlay: Bool) throws -> (tensor: Tensor, background: OverlayBackground?) {
        let x = try preparation.tensor(from: file, for: graph.inputs[0])
        guard overlay else { return (x, nil) }
        guard x.rank == 4, ImageFormat.sniff(try ImageReader.readBytes(file)) != .npy else {
            throw CodecError(file, "--overlay needs a photo and an N×C×H×W model input")
        }
        return (x, try preparation.background(from: file, height: x.shape[2], width: x.shape[3]))
    }

    /// Dumps the model's layers on `file` (see `input`) into the directory `target`; explanations are
    /// drawn over the photo (a .npy input: its channels stretched to [0, 1]).
    @discardableResult
    public func run(graph: Graph, file: String, preparation: InputPreparation, overlay: Bool,
                    into target: String) throws -> [Layer] {
        let (x, background) = try Self.input(file, for: graph, preparation: preparation, overlay: overlay)
        var dump = self
        dump.overlay = background
        dump.inputDescription = file
        if explanation != nil {
            dump.photo = try ClassExplanation.photo(file: file, input: Self.oneItem(x), preparation: preparation)
        }
        return try dump.run(graph: graph, input: x, into: target)
    }
}
