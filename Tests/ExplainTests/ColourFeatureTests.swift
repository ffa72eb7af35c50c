import Explain
import Foundation
import NeuralNet
import Testing

/// Feature visualisation's colour path on a trained model whose answer is known: a tiny CNN that tells
/// red, green and blue squares apart (scripts/make-colour-model.py, PyTorch). The second convolution's
/// channel that PyTorch found to answer red, and each class logit, must be drawn in their colour: the
/// picture's mean in that colour channel above the other two by `margin`.
@Suite struct ColourFeatureTests {
    struct Manifest: Decodable {
        let classes: [String]
        let conv2_relu: String
        let red_channel: Int
        let red_channel_means: [String: Float]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/colour")
    static let manifest = try! JSONDecoder().decode(
        Manifest.self, from: Data(contentsOf: fixtures.appendingPathComponent("manifest.json")))

    /// Measured: the colour's mean above the others' by 0.22 to 0.40 (256 steps, seed 1).
    static let margin: Float = 0.15

    /// The picture's mean per colour channel (R, G, B), as its 8-bit PNG stores it.
    func means(_ p: FeaturePicture) -> [Float] {
        let area = p.height * p.width
        return (0..<3).map { c in
            p.values[(c * area)..<((c + 1) * area)].reduce(0) { $0 + ($1 * 255).rounded() / 255 } / Float(area)
        }
    }

    func expectDominant(_ p: FeaturePicture, colour: Int, _ what: String) {
        let m = means(p), others = (0..<3).filter { $0 != colour }.map { m[$0] }
        print("\(what): RGB means \(m)")
        #expect(others.allSatisfy { m[colour] >= $0 + Self.margin }, "\(what): RGB means \(m)")
    }

    @Test func theRedChannelIsDrawnRed() throws {
        let graph = try ONNXLoader.load(path: Self.fixtures.appendingPathComponent("model.onnx").path)
        let m = Self.manifest
        let visualizer = try FeatureVisualizer(graph, layer: m.conv2_relu)
        #expect(visualizer.inputChannels == 3 && visualizer.channels == 8)
        let picture = try visualizer.render(.channel(m.red_channel), steps: 256, seed: 1)
        expectDominant(picture, colour: 0, "channel \(m.red_channel) of \(visualizer.layerName)")
        // The picture raises the channel above what the red squares do on average (PyTorch's mean).
        let red = try #require(m.red_channel_means["red"])
        #expect(picture.objective > red, "\(picture.objective) against the red pictures' \(red)")
    }

    @Test func eachClassLogitIsDrawnInItsColour() throws {
        let graph = try ONNXLoader.load(path: Self.fixtures.appendingPathComponent("model.onnx").path)
        let visualizer = try FeatureVisualizer(graph, layer: nil)
        #expect(visualizer.channels == Self.manifest.classes.count)
        for (c, name) in Self.manifest.classes.enumerated() {
            expectDominant(try visualizer.render(.channel(c), steps: 256, seed: 1), colour: c, "class \(name)")
        }
    }
}
