import ImageCodecs
import Tensors

/// An explanation drawn for people: each panel the photo with the map over it as a heat map (the map
/// upsampled bilinearly to the photo), titled with its class name and probability, side by side for
/// several classes, with one colour bar from 0 to each panel's highest value.
public enum ExplanationPicture {
    public struct Panel {
        /// h×w, zero or more (Grad-CAM, |saliency|).
        public var map: Tensor
        public var title: String
        public init(map: Tensor, title: String) { self.map = map; self.title = title }
    }

    static let ink: (UInt8, UInt8, UInt8) = (20, 20, 20), paper: (UInt8, UInt8, UInt8) = (255, 255, 255)

    /// `photo`: the background (RGB in [0, 1]); small photos are enlarged so each panel is at least 224
    /// pixels wide, and titles are cut to fit it.
    public static func render(_ panels: [Panel], photo: OverlayBackground, colormap: Colormap = .turbo,
                              caption: String) -> RasterImage {
        let s = 2, line = TextFont.height * s + 6, gap = 10, bar = 16
        let scale = max(1, (224 + photo.width - 1) / photo.width)
        let w = photo.width * scale, h = photo.height * scale
        let barSpace = bar + 12 + TextFont.measure("high", scale: s) + gap
        let width = gap + panels.count * (w + gap) + barSpace, height = gap + 2 * line + h + gap
        var canvas = Canvas(width: width, height: height)
        canvas.fill(paper)
        canvas.write(TextFont.truncate(caption, to: max(1, (width - 2 * gap) / ((TextFont.width + 1) * s))),
                     x: gap, y: gap, scale: s, colour: ink)
        for (i, panel) in panels.enumerated() {
            let x0 = gap + i * (w + gap), y0 = gap + 2 * line
            canvas.write(TextFont.truncate(panel.title, to: max(1, w / ((TextFont.width + 1) * s))),
                         x: x0, y: gap + line, scale: s, colour: ink)
            let top = panel.map.storage.max() ?? 0
            let rows = panel.map.rank == 2 ? panel.map.shape[0] : 1, cols = panel.map.count / max(rows, 1)
            photo.blend(panel.map.storage[...], height: rows, width: cols, range: (0, max(top, 1e-12)),
                        colormap: colormap) { x, y, c in
                canvas.rect(x0 + x * scale, y0 + y * scale, scale, scale, c)
            }
        }
        // Colour bar: each panel's highest value at the top, zero at the bottom.
        let bx = width - barSpace + 4, by = gap + 2 * line
        for y in 0..<h {
            let colour = colormap.rgb(1 - Float(y) / Float(max(h - 1, 1)))
            for x in 0..<bar { canvas.set(bx + x, by + y, colour) }
        }
        canvas.write("high", x: bx + bar + 5, y: by, scale: s, colour: ink)
        canvas.write("0", x: bx + bar + 5, y: by + h - TextFont.height * s, scale: s, colour: ink)
        return canvas.raster
    }

    /// A saliency map for people: the largest absolute gradient over the channels at each pixel.
    public static func magnitude(_ gradient: Tensor) -> Tensor {
        let h = gradient.shape[gradient.rank - 2], w = gradient.shape[gradient.rank - 1], area = h * w
        let channels = gradient.count / area
        var out = [Float](repeating: 0, count: area)
        for c in 0..<channels { for i in 0..<area { out[i] = max(out[i], abs(gradient.storage[c * area + i])) } }
        return Tensor(shape: [h, w], values: out)
    }
}
