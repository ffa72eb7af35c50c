import Foundation
import ImageCodecs
import Kernels
import NeuralNet
import Training

/// The parsers a fuzzer feeds, each from raw bytes through the library's own entry point. A thrown error
/// is the right answer to bad bytes; a crash, a hang or a leak is a finding.
enum FuzzTarget: String, CaseIterable {
    case png, jpeg, pnm, npy, text, kernel, arch, onnx

    func run(_ bytes: [UInt8]) {
        switch self {
        case .png, .jpeg, .pnm, .npy:
            // Sniffed as any file is, so a mutation into another format is still a fair input.
            _ = try? ImageReader.decode(bytes, path: "fuzz.\(rawValue)")
        case .text:
            _ = try? TextMatrix.decode(bytes: bytes, path: "fuzz.txt")
        case .kernel:
            _ = try? KernelParser.parse(String(decoding: bytes, as: UTF8.self), source: "fuzz.kernel")
        case .arch:
            // Parsed, then built as `train --arch` does, for small grey images (so few weights to draw).
            guard let arch = try? Architecture.parse(String(decoding: bytes, as: UTF8.self), source: "fuzz.arch")
            else { return }
            _ = try? arch.build(input: [1, 8, 8], classes: 3, labels: [], seed: 1)
        case .onnx:
            // Loaded, then its layers' shapes and parameters as `cnnfilter info` lists them.
            guard let graph = try? ONNXLoader.load(bytes: Data(bytes), source: "fuzz.onnx", directory: "/nonexistent")
                .graph else { return }
            _ = try? ModelSummary.layers(of: graph)
        }
    }
}
