import Foundation
import ImageCodecs
import NeuralNet
import Tensors

/// Turns a photo into a model's input: resized (bilinear) to the input's
/// height and width, converted to its channel count, normalised per channel
/// as (x − mean) / std, with a batch dimension (1 unless the model fixes it).
public struct InputPreparation: Sendable {
    public var mean: [Float] = [0]
    public var std: [Float] = [1]
    public init() {}

    /// The preset torchvision's ImageNet models expect.
    public static let imagenet: InputPreparation = {
        var p = InputPreparation()
        p.mean = [0.485, 0.456, 0.406]; p.std = [0.229, 0.224, 0.225]
        return p
    }()

    /// A .npy is used as it is (a batch dimension is added to C×H×W);
    /// anything else is decoded as an image and prepared.
    public func tensor(from path: String, for input: ValueInfo) throws -> Tensor {
        let bytes = try ImageReader.readBytes(path)
        if ImageFormat.sniff(bytes) == .npy {
            let exact = try NPYCodec.decode(bytes, path: path, imageShape: false)
            return exact.rank == input.shape.count - 1 ? exact.reshaped([1] + exact.shape) : exact
        }
        switch try ImageReader.decode(bytes, path: path) {
        case .tensor(let t): return t.rank == input.shape.count - 1 ? t.reshaped([1] + t.shape) : t
        case .raster(let r): return try prepare(r.tensor(includingAlpha: false), for: input, path: path)
        }
    }

    /// A photo as an overlay background: RGB in [0, 1], resized to `height`×`width`.
    public func background(from path: String, height: Int, width: Int) throws -> OverlayBackground {
        guard case .raster(let r) = try ImageReader.read(path: path) else { throw CodecError(path, "--overlay needs a photo") }
        let t = r.tensor(includingAlpha: false)
        let p = t.planes
        var planes = (0..<p.channels).map { Array(t.storage[($0 * p.height * p.width)..<(($0 + 1) * p.height * p.width)]) }
        if planes.count == 1 { planes = [planes[0], planes[0], planes[0]] }
        let rgb = planes.prefix(3).flatMap { resize($0, height: p.height, width: p.width, toHeight: height, width: width) }
        return OverlayBackground(height: height, width: width, rgb: rgb)
    }

    func prepare(_ image: Tensor, for input: ValueInfo, path: String) throws -> Tensor {
        guard input.shape.count == 4 else {
            throw CodecError(path, "the model's input '\(input.name)' is not N×C×H×W, so a photo cannot be fed to it; give a .npy")
        }
        let p = image.planes
        let c = input.shape[1] ?? p.channels, h = input.shape[2] ?? p.height, w = input.shape[3] ?? p.width
        // Channels: RGB → grey by luma, grey → RGB by repetition.
        let planes = matchChannels((0..<p.channels).map { ch in Array(image.storage[(ch * p.height * p.width)..<((ch + 1) * p.height * p.width)]) }, to: c)
        guard planes.count == c else { throw CodecError(path, "the image has \(planes.count) channels and the model wants \(c)") }
        var out: [Float] = []
        out.reserveCapacity(c * h * w)
        for (ch, plane) in planes.enumerated() {
            let m = mean.count == 1 ? mean[0] : mean[ch], s = std.count == 1 ? std[0] : std[ch]
            out += resize(plane, height: p.height, width: p.width, toHeight: h, width: w).map { ($0 - m) / s }
        }
        // A model with a fixed batch size gets the photo that many times.
        let batch = max(1, input.shape[0] ?? 1)
        return Tensor(shape: [batch, c, h, w], values: Array([[Float]](repeating: out, count: batch).joined()))
    }

    func resize(_ v: [Float], height: Int, width: Int, toHeight oh: Int, width ow: Int) -> [Float] {
        bilinearResize(v[...], height: height, width: width, toHeight: oh, width: ow)
    }
}
