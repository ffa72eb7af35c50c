import Foundation
import ImageCodecs
import NeuralNet

/// Writes a trained network as an ONNX model: its graph with the trained weights. A network built
/// from the architecture text takes N×C×H×W Float32 pixels in [0, 1] named "pixels" (standardisation
/// is part of the graph) and gives logits named "logits", at opset 13; a fine-tuned model keeps its
/// own inputs, outputs and opset. Class names go into metadata_props["labels"], one per line.
public enum ModelExport {
    public static func write(_ network: Network, to path: String) throws {
        try OutputFile.write(path, bytes: try ONNXWriter.bytes(network.model))
    }
}
