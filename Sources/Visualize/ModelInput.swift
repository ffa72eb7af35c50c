import Foundation
import ImageCodecs
import NeuralNet
import Tensors

/// Turns a photo into a model's input: resized (bilinear) to the input's
/// height and width (or, with `centreCrop`, resized keeping its shape and
/// cropped), converted to its channel count, normalised per channel as
/// (x − mean) / std, with a batch dimension (1 unless the model fixes it).
public struct InputPreparation: Sendable {
    public var mean: [Float] = [0]
    public var std: [Float] = [1]
    /// nil: the photo is squashed to the input's size. Else the fraction of the resized photo's short side
    /// the centre crop keeps: the photo's short side becomes the input's short side / `centreCrop`
    /// (224 / 0.875 = 256), its long side in proportion (rounded down), then the centre input-size
    /// rectangle is cut out, as torchvision's Resize(256) and CenterCrop(224) do.
    public var centreCrop: Float? = nil
    public init() {}

    /// What torchvision's ImageNet models expect: the short side resized to 256, the centre 224×224,
    /// ImageNet's mean and standard deviation.
    public static let imagenet: InputPreparation = {
        var p = InputPreparation()
        p.mean = [0.485, 0.456, 0.406]; p.std = [0.229, 0.224, 0.225]
        p.centreCrop = 224.0 / 256.0
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
        case .raster(let r): return try prepare(r, for: input, path: path)
        }
    }

    /// A photo as an overlay background: RGB in [0, 1], resized to `height`×`width`.
    public func background(from path: String, height: Int, width: Int) throws -> OverlayBackground {
        guard case .raster(let r) = try ImageReader.read(path: path) else { throw CodecError(path, "--overlay needs a photo") }
        let t = r.tensor(includingAlpha: false)
        let p = t.planes
        var planes = (0..<p.channels).map { Array(t.storage[($0 * p.height * p.width)..<(($0 + 1) * p.height * p.width)]) }
        if planes.count == 1 { planes = [planes[0], planes[0], planes[0]] }
        let rgb = planes.prefix(3).flatMap { plane in
            fit(height: p.height, width: p.width, toHeight: height, width: width) { plane[$0 * p.width + $1] }
        }
        return OverlayBackground(height: height, width: width, rgb: rgb)
    }

    func prepare(_ image: RasterImage, for input: ValueInfo, path: String) throws -> Tensor {
        guard input.shape.count == 4 else {
            throw CodecError(path, "the model's input '\(input.name)' is not N×C×H×W, so a photo cannot be fed to it; give a .npy")
        }
        let have = image.colourChannels, ih = image.height, iw = image.width
        let c = input.shape[1] ?? have, h = input.shape[2] ?? ih, w = input.shape[3] ?? iw
        // Channels: RGB → grey by luma (over the whole photo), grey → RGB by repetition, else as they are.
        // Planes are read from the samples as they are resized, each as sample / maximum, the values
        // of `RasterImage.tensor`, without converting the whole photo first.
        let scale = 1 / image.maxValue
        var planes: [[Float]]
        if c == 1 && have >= 3 {
            let t = image.tensor(includingAlpha: false), n = ih * iw
            let grey = matchChannels((0..<3).map { Array(t.storage[($0 * n)..<(($0 + 1) * n)]) }, to: 1)[0]
            planes = [fit(height: ih, width: iw, toHeight: h, width: w) { grey[$0 * iw + $1] }]
        } else if c == have || (c == 3 && have == 1) {
            planes = (0..<have).map { ch in
                fit(height: ih, width: iw, toHeight: h, width: w) { Float(image.sample($0, $1, ch)) * scale }
            }
            if have < c { planes = [planes[0], planes[0], planes[0]] }
        } else {
            throw CodecError(path, "the image has \(have) channels and the model wants \(c)")
        }
        var out: [Float] = []
        out.reserveCapacity(c * h * w)
        for (ch, plane) in planes.enumerated() {
            let m = mean.count == 1 ? mean[0] : mean[ch], s = std.count == 1 ? std[0] : std[ch]
            out += plane.map { ($0 - m) / s }
        }
        // A model with a fixed batch size gets the photo that many times.
        let batch = max(1, input.shape[0] ?? 1)
        return Tensor(shape: [batch, c, h, w], values: Array([[Float]](repeating: out, count: batch).joined()))
    }

    /// One plane at the input's size, its values read through `value(y, x)`: squashed, or resized and
    /// cropped (`centreCrop`; only the crop's pixels are computed).
    func fit(height: Int, width: Int, toHeight oh: Int, width ow: Int, _ value: (Int, Int) -> Float) -> [Float] {
        guard let g = cropGeometry(height: height, width: width, toHeight: oh, width: ow) else {
            return bilinearResize(height: height, width: width, toHeight: oh, width: ow, value)
        }
        return bilinearResize(height: height, width: width, toHeight: g.height, width: g.width,
                              rows: g.top..<(g.top + oh), columns: g.left..<(g.left + ow), value)
    }

    /// The size a `height`×`width` photo is resized to and where the `oh`×`ow` crop starts in it; nil
    /// without `centreCrop`. As torchvision: the long side int(short · long / short), the offsets
    /// round((size − crop) / 2) with halves to even. A photo too narrow for the crop is enlarged to fit.
    public func cropGeometry(height: Int, width: Int, toHeight oh: Int, width ow: Int)
        -> (height: Int, width: Int, top: Int, left: Int)? {
        guard let f = centreCrop, f > 0, height > 0, width > 0 else { return nil }
        let short = max(Int((Float(min(oh, ow)) / f).rounded()), min(oh, ow))
        var rh: Int, rw: Int
        if width <= height { rw = short; rh = Int(Double(short) * Double(height) / Double(width)) }
        else { rh = short; rw = Int(Double(short) * Double(width) / Double(height)) }
        if rh < oh || rw < ow {
            let scale = max(Double(oh) / Double(height), Double(ow) / Double(width))
            rh = max(oh, Int((Double(height) * scale).rounded())); rw = max(ow, Int((Double(width) * scale).rounded()))
        }
        let top = Int((Double(rh - oh) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(rw - ow) / 2).rounded(.toNearestOrEven))
        return (rh, rw, top, left)
    }
}
