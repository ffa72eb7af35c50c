import Explain
import Foundation
import NeuralNet
import Testing
import Tensors

/// The highest mean activation per channel that any of the 10,000 Fashion-MNIST test images reaches,
/// from numpy and onnxruntime (scripts/make-activation-maxima.py).
struct ActivationMaxima: Decodable {
    struct Layer: Decodable { let value: String; let channels: Int; let maximum: [Float] }
    struct Model: Decodable { let convolutions: [String]; let layers: [String: Layer] }
    let images: Int
    let models: [String: Model]

    static let fixture: ActivationMaxima = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fashion-activation-maxima.json")
        return try! JSONDecoder().decode(ActivationMaxima.self, from: Data(contentsOf: url))
    }()
}

let isDebugBuild: Bool = {
    #if DEBUG
    return true
    #else
    return false
    #endif
}()

/// `visualize`'s pictures on the bundled Fashion-MNIST models against the test set: each of 8
/// channels' pictures (as the PNG stores it, 8 bits) raises the channel's mean activation above the
/// highest any test image reaches, by the factor printed; a channel no test image makes positive
/// gets a positive mean.
@Suite struct FeatureVisualizationTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized

    /// At least this many times the test set's highest mean (measured: 1.8 to 43, docs/explain.md).
    static let least: Float = 1.5

    func check(_ model: String, layer: String) throws {
        let expected = try #require(ActivationMaxima.fixture.models[model]?.layers[layer])
        let graph = try ONNXLoader.load(path: Self.repo.appendingPathComponent(model).path)
        let visualizer = try FeatureVisualizer(graph, layer: layer)
        #expect(visualizer.value == expected.value && visualizer.channels == expected.channels)
        let objectives = (0..<8).map { FeatureObjective.channel($0) }
        let pictures = try visualizer.render(objectives, steps: 512, seed: 1)
        for (c, picture) in pictures.enumerated() {
            let stored = picture.values.map { ($0 * 255).rounded() / 255 }
            let reached = try visualizer.measure(stored, .channel(c)), best = expected.maximum[c]
            print("\(model) \(layer) channel \(c): \(reached) against the test set's \(best)"
                  + (best > 0 ? String(format: ", %.2fx", reached / best) : ""))
            if best > 0 {
                #expect(reached >= Self.least * best, "channel \(c): \(reached) against \(best)")
            } else {
                #expect(reached > 0, "channel \(c): \(reached), never positive on the test set")
            }
        }
    }

    /// LeNet-5's last convolution (C5, 1×1 maps) and the last whose maps are larger (C3, 10×10).
    @Test(arguments: ["C3", "C5"])
    func lenetPicturesBeatTheTestSet(_ layer: String) throws {
        #expect(ActivationMaxima.fixture.models["models/lenet5-fashion.onnx"]?.convolutions.last == "C5")
        try check("models/lenet5-fashion.onnx", layer: layer)
    }

    /// The residual CNN's last convolution; about 2 minutes in the debug build, so it runs in the
    /// host-CPU release build of `make test` (7 s).
    @Test(.disabled(if: isDebugBuild, "runs in the release build (make test)"))
    func resnetPicturesBeatTheTestSet() throws {
        #expect(ActivationMaxima.fixture.models["models/fashion-resnet.onnx"]?.convolutions.last == "conv4")
        try check("models/fashion-resnet.onnx", layer: "conv4")
    }

    @Test func badLayersAndChannelsAreNamed() throws {
        let lenet = try ONNXLoader.load(path: Self.repo.appendingPathComponent("models/lenet5-fashion.onnx").path)
        #expect { try FeatureVisualizer(lenet, layer: "C33") } throws: {
            "\($0)".contains("no layer 'C33'; did you mean 'C3'?")
        }
        let visualizer = try FeatureVisualizer(lenet, layer: "C3")
        #expect(visualizer.outOfRange(Array(0..<16)) == nil)
        #expect(visualizer.outOfRange([3, 16, 20])
                == "channels 16…20 are out of range: layer 'C3' has 16 channels (0…15)")
        #expect { try visualizer.render(.channel(16), steps: 1, seed: 1) } throws: {
            "\($0)".contains("channel 16 is out of range")
        }
        // A constant of a graph: no picture changes it.
        let plumbing = try ONNXLoader.load(path: ExplainCase.dir.appendingPathComponent("plumbing/model.onnx").path)
        #expect { try FeatureVisualizer(plumbing, layer: "_Constant") } throws: {
            "\($0)".contains("layer '_Constant' is not computed from the input 'input'")
        }
    }
}
