import ImageCodecs
import Tensors

/// An image and its augmented copies side by side, each tile captioned ("original", "epoch 1", …): grey for
/// one channel, colour for three (others show their first). Tiles are resized (nearest neighbour) to fit
/// 240 pixels and enlarged to at least 112, so a 28×28 sample is as readable as a photo.
public enum AugmentationSheet {
    public static func render(_ tiles: [(caption: String, image: Tensor)]) -> RasterImage {
        guard let first = tiles.first?.image, first.rank == 3 else {
            return Canvas(width: 1, height: 1).raster
        }
        let h = first.shape[1], w = first.shape[2]
        let fit = min(240.0 / Double(max(h, w)), max(1, 112.0 / Double(max(h, w))).rounded(.up))
        let tileW = max(1, Int(Double(w) * fit)), tileH = max(1, Int(Double(h) * fit))
        let s = 2, label = TextFont.height * s + 4, gap = 8
        let cols = max(1, min(tiles.count, (ContactSheet.maxWidth - gap) / (tileW + gap)))
        let rows = (tiles.count + cols - 1) / cols
        var canvas = Canvas(width: gap + cols * (tileW + gap), height: gap + rows * (label + tileH + gap))
        canvas.fill(ContactSheet.background)
        for (i, tile) in tiles.enumerated() {
            let x0 = gap + (i % cols) * (tileW + gap), y0 = gap + (i / cols) * (label + tileH + gap)
            canvas.write(TextFont.truncate(tile.caption, to: tileW / (s * (TextFont.width + 1))), x: x0, y: y0,
                         scale: s, colour: ContactSheet.ink)
            let t = tile.image, channels = t.shape[0] == 3 ? 3 : 1, plane = h * w
            func byte(_ v: Float) -> UInt8 { UInt8((min(max(v, 0), 1) * 255).rounded()) }
            for y in 0..<tileH {
                let sy = min(h - 1, y * h / tileH)
                for x in 0..<tileW {
                    let p = sy * w + min(w - 1, x * w / tileW)
                    let r = byte(t.storage[p])
                    let colour = channels == 3 ? (r, byte(t.storage[plane + p]), byte(t.storage[2 * plane + p]))
                                               : (r, r, r)
                    canvas.set(x0 + x, y0 + label + y, colour)
                }
            }
        }
        return canvas.raster
    }
}
