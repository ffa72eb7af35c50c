import ImageCodecs
import NeuralNet
import Tensors

/// A convolution layer's weights as a grid of small images: with 3 input
/// channels each filter is one colour tile (as the lecture's picture of
/// AlexNet's first layer), otherwise one grey tile per filter and input
/// channel (a row per filter, at most 32 channels). Each filter is stretched
/// from its own minimum to its maximum.
public enum FilterSheet {
    public static func render(_ w: Tensor) -> RasterImage {
        let m = w.shape[0], c = w.shape[1], kh = w.shape[2], kw = w.shape[3]
        let colour = c == 3
        let columnsPerFilter = colour ? 1 : min(c, 32)
        let cols = colour ? Int(Double(m).squareRoot().rounded(.up)) : columnsPerFilter
        let rows = colour ? (m + cols - 1) / cols : m
        let scale = max(1, (32 + max(kh, kw) - 1) / max(kh, kw))
        let tw = kw * scale, th = kh * scale, gap = 2
        var canvas = Canvas(width: gap + cols * (tw + gap), height: gap + rows * (th + gap))
        canvas.fill((24, 24, 24))
        let per = c * kh * kw
        for f in 0..<m {
            let values = w.storage[(f * per)..<((f + 1) * per)]
            let lo = values.min() ?? 0, hi = values.max() ?? 0
            for ci in 0..<(colour ? 1 : columnsPerFilter) {
                let gx = gap + (colour ? f % cols : ci) * (tw + gap), gy = gap + (colour ? f / cols : f) * (th + gap)
                for y in 0..<th { for x in 0..<tw {
                    let ky = y / scale, kx = x / scale
                    func v(_ ch: Int) -> UInt8 {
                        let raw = values[values.startIndex + (ch * kh + ky) * kw + kx]
                        return UInt8((Render.unit(raw, (lo, hi)) * 255).rounded())
                    }
                    canvas.set(gx + x, gy + y, colour ? (v(0), v(1), v(2)) : (v(ci), v(ci), v(ci)))
                } }
            }
        }
        return canvas.raster
    }

    /// The weights of a Conv node, by layer name (nil: the first Conv).
    public static func weights(in graph: Graph, layer: String?) throws -> (name: String, weights: Tensor) {
        let convs = graph.nodes.filter { $0.opType == "Conv" }
        guard let node = layer.map({ l in convs.first { $0.displayName == l } }) ?? convs.first else {
            throw ModelError(layer.map { "no convolution layer named '\($0)' (the Conv layers: \(convs.map(\.displayName).joined(separator: ", ")))" }
                             ?? "the model has no convolution layer")
        }
        guard node.inputs.count > 1, let w = graph.initializers[node.inputs[1]], w.rank == 4 else {
            throw ModelError("layer '\(node.displayName)' has no 4-D weight initializer")
        }
        return (node.displayName, w)
    }
}
