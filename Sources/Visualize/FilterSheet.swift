import ImageCodecs
import NeuralNet
import Tensors

/// How show-filters maps weights to grey: one scale for the whole layer (filters comparable), or each filter
/// on its own (weak filters visible). Both are symmetric about 0, so 0 is mid-grey, negative darker, positive
/// lighter.
public enum FilterScale: String, CaseIterable, Sendable { case layer, filter }

/// A convolution layer's weights as a grid of small images, titled with the layer's name and shape, with a
/// colour bar giving the value scale. With 3 input channels each filter is one colour tile (the channels as
/// red, green and blue, as the lecture's picture of AlexNet's first layer), with one input channel one grey
/// tile; both are labelled with the filter's index. Otherwise a row per filter (its index on the left) and a column per
/// input channel (its index on top, at most 32 channels).
public enum FilterSheet {
    static let margin = 8, gap = 2, s = 2, line = TextFont.height * 2 + 4, bar = 16

    public static func render(_ w: Tensor, name: String, scale: FilterScale = .layer) -> RasterImage {
        sheet(w, name: name, scale: scale).image
    }

    /// Where filter f's input channel c is drawn (c is 0 for a colour tile).
    struct Tile { var filter, channel, x, y, width, height: Int }

    static func sheet(_ w: Tensor, name: String, scale: FilterScale) -> (image: RasterImage, tiles: [Tile]) {
        let m = w.shape[0], c = w.shape[1], kh = w.shape[2], kw = w.shape[3]
        let tiles = c == 1 || c == 3, colour = c == 3
        let shownChannels = tiles ? 1 : min(c, 32)
        let per = c * kh * kw
        // Symmetric ranges about 0: the layer's largest |w|, or each filter's.
        func largest(_ v: ArraySlice<Float>) -> Float { v.reduce(0) { $1.isFinite ? max($0, abs($1)) : $0 } }
        let layerLargest = largest(w.storage[0..<(m * per)])
        let ranges: [(Float, Float)] = (0..<m).map { f in
            let a = scale == .layer ? layerLargest : largest(w.storage[(f * per)..<((f + 1) * per)])
            return (-a, a)
        }
        // Tiles of at least 32 pixels (64 when there are few), and wide enough for their labels.
        let labelWidth = TextFont.measure(String(m - 1), scale: s)
        let least = max(m * shownChannels <= 64 ? 64 : 32, labelWidth)
        let zoom = max(1, (least + max(kh, kw) - 1) / max(kh, kw))
        let tw = kw * zoom, th = kh * zoom
        let cols = tiles ? Int(Double(m).squareRoot().rounded(.up)) : shownChannels
        let rows = tiles ? (m + cols - 1) / cols : m
        let title = "\(name): \(m) filter\(m == 1 ? "" : "s") x \(c) input channel\(c == 1 ? "" : "s"), \(kh)x\(kw)"
        let what = colour ? "one tile per filter, its input channels as red, green, blue"
            : tiles ? "one tile per filter"
            : "rows: filters, columns: input channels" + (c > shownChannels ? " (first \(shownChannels) of \(c))" : "")
        let how = scale == .layer ? "one scale for the layer" : "each filter on its own scale"
        // Grid: the row labels' column on the left and the column labels' row on top; tiles: a label above each.
        let left = tiles ? 0 : labelWidth + 6
        let top = margin + 3 * line + (tiles ? 0 : line)
        let cell = (w: tw + gap, h: th + gap + (tiles ? line : 0))
        let gridWidth = left + cols * cell.w
        let a = ContactSheet.short(layerLargest)
        let barLabels = scale == .layer ? ["+" + a, "0", "-" + a] : ["+max", "0", "-max"]
        let barSpace = 24 + bar + 8 + (barLabels.map { TextFont.measure($0, scale: s) }.max() ?? 0)
        let textWidth = [title, what, how].map { TextFont.measure($0, scale: s) }.max() ?? 0
        let width = margin + max(textWidth + 8, gridWidth + barSpace) + margin
        let height = max(top + rows * cell.h, top + 120) + margin
        var canvas = Canvas(width: width, height: height)
        canvas.fill(ContactSheet.background)
        let ink = ContactSheet.ink
        var placed: [Tile] = []
        canvas.write(title, x: margin, y: margin, scale: s, colour: ink)
        canvas.write(what, x: margin, y: margin + line, scale: s, colour: ink)
        canvas.write(how, x: margin, y: margin + 2 * line, scale: s, colour: ink)
        if !tiles {
            for ci in 0..<shownChannels {
                let label = String(ci), x = margin + left + ci * cell.w
                canvas.write(label, x: x + (tw - TextFont.measure(label, scale: s)) / 2, y: top - line,
                             scale: s, colour: ink)
            }
        }
        for f in 0..<m {
            let values = w.storage[(f * per)..<((f + 1) * per)]
            func grey(_ ch: Int, _ ky: Int, _ kx: Int) -> UInt8 {
                UInt8((Render.unit(values[values.startIndex + (ch * kh + ky) * kw + kx], ranges[f]) * 255).rounded())
            }
            let label = String(f)
            for ci in 0..<shownChannels {
                let gx = margin + left + (tiles ? f % cols : ci) * cell.w
                var gy = top + (tiles ? f / cols : f) * cell.h
                if tiles {
                    canvas.write(label, x: gx + (tw - TextFont.measure(label, scale: s)) / 2, y: gy, scale: s,
                                 colour: ink)
                    gy += line
                } else if ci == 0 {
                    canvas.write(label, x: margin + labelWidth - TextFont.measure(label, scale: s),
                                 y: gy + (th - TextFont.height * s) / 2, scale: s, colour: ink)
                }
                placed.append(Tile(filter: f, channel: ci, x: gx, y: gy, width: tw, height: th))
                for ky in 0..<kh { for kx in 0..<kw {
                    let g = grey(ci, ky, kx)
                    let rgb = colour ? (grey(0, ky, kx), grey(1, ky, kx), grey(2, ky, kx)) : (g, g, g)
                    canvas.rect(gx + kx * zoom, gy + ky * zoom, zoom, zoom, rgb)
                } }
            }
        }
        ContactSheet.colourBar(on: &canvas, x: margin + gridWidth + 24, y: top, width: bar,
                               height: max(120, min(rows * cell.h - gap, 256)), colormap: .gray, labels: barLabels)
        return (canvas.raster, placed)
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
