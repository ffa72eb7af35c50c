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

    /// The weights of a Conv node, by layer name as `LayerSelection` matches it (nil: the first Conv);
    /// a name that picks several convolutions is an error naming them.
    public static func weights(in graph: Graph, layer: String?) throws -> (name: String, weights: Tensor) {
        let convs = graph.nodes.indices.filter { graph.nodes[$0].opType == "Conv" }
        guard let first = convs.first else { throw ModelError("the model has no convolution layer") }
        var index = first
        if let layer {
            let picked: [Int]
            do { picked = try LayerSelection.resolve([layer], in: graph, among: convs, kind: "convolution layer") }
            catch {
                // A layer that exists but does not convolve.
                guard let other = try? LayerSelection.resolve([layer], in: graph), other.count == 1 else { throw error }
                let names = convs.prefix(8).map { graph.nodes[$0].displayName }.joined(separator: ", ")
                throw ModelError("layer '\(graph.nodes[other[0]].displayName)' is a \(graph.nodes[other[0]].opType), "
                                 + "not a convolution (the Conv layers: \(names)\(convs.count > 8 ? ", …" : ""))")
            }
            guard picked.count == 1 else {
                let names = picked.prefix(8).map { graph.nodes[$0].displayName }.joined(separator: ", ")
                throw ModelError("'\(layer)' names \(picked.count) convolution layers (\(names)"
                                 + "\(picked.count > 8 ? ", …" : "")); give one")
            }
            index = picked[0]
        }
        let node = graph.nodes[index]
        guard node.inputs.count > 1, let w = graph.initializers[node.inputs[1]], w.rank == 4 else {
            throw ModelError("layer '\(node.displayName)' has no 4-D weight initializer")
        }
        return (node.displayName, w)
    }
}
