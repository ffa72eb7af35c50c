import Foundation
import ImageCodecs

/// All channels of a layer in a grid, each labelled with its index (or a
/// `TileCaption`: a kernel bank's kernel names and matrices), and a colour bar
/// on the right (with the value range when the layer shares one).
/// Labels are in the 5×7 `TextFont` at twice its size, readable at 100 %.
enum ContactSheet {
    static let background: (UInt8, UInt8, UInt8) = (24, 24, 24)
    static let ink: (UInt8, UInt8, UInt8) = (235, 235, 235)

    /// Where the tiles are: tile c covers `tiles[c]` (x, y, width, height) of a sheet `width`×`height`.
    struct Layout {
        var width: Int, height: Int
        var tiles: [(x: Int, y: Int, w: Int, h: Int)]
    }

    /// Sheets are kept about this wide, so their text reads at 100 % in a page.
    static let maxWidth = 1200

    static func render(_ maps: LayerMaps, ranges: [(Float, Float)], colormap: Colormap, sharedRange: (Float, Float)?,
                       overlay: OverlayBackground? = nil) -> RasterImage {
        sheet(maps, ranges: ranges, colormap: colormap, sharedRange: sharedRange, overlay: overlay).image
    }

    /// `kernels`, one per channel, caption the tiles with their names and matrices.
    static func sheet(_ maps: LayerMaps, ranges: [(Float, Float)], colormap: Colormap, sharedRange: (Float, Float)?,
                      overlay: OverlayBackground? = nil,
                      kernels: [KernelMatrix]? = nil) -> (image: RasterImage, layout: Layout) {
        let n = maps.channels
        let s = 2, gap = 6, bar = 16
        let barLabels = sharedRange.map { [short($0.1), short($0.0)] } ?? ["high", "low"]
        let barSpace = bar + 14 + (barLabels.map { TextFont.measure($0, scale: s) }.max() ?? 0) + 8
        // Small maps are enlarged (nearest neighbour) to at least 48 pixels; overlays are tiles of the
        // photo's size, enlarged to at least 96.
        let side = overlay.map { max($0.height, $0.width) } ?? max(maps.height, maps.width)
        let least = overlay == nil ? 48 : 96
        var scale = max(1, (least + side - 1) / side)
        var cols = Int(Double(n).squareRoot().rounded(.up))
        func tileWidth() -> Int { (overlay?.width ?? maps.width) * scale }
        while scale > 1 && gap + cols * (tileWidth() + gap) + barSpace > maxWidth { scale -= 1 }
        cols = max(1, min(cols, (maxWidth - barSpace - gap) / (tileWidth() + gap)))
        let rows = (n + cols - 1) / cols
        let tileW = tileWidth(), tileH = (overlay?.height ?? maps.height) * scale
        let captions = (0..<n).map { c in
            kernels.flatMap { $0.count == n ? TileCaption(channel: c, kernel: $0[c], maxWidth: tileW) : nil }
                ?? TileCaption(title: String(c))
        }
        let label = captions.map(\.height).max() ?? TileCaption.line
        let width = gap + cols * (tileW + gap) + barSpace
        let height = max(gap + rows * (label + tileH + gap), 80)
        var canvas = Canvas(width: width, height: height)
        canvas.fill(background)
        var tiles: [(x: Int, y: Int, w: Int, h: Int)] = []
        for c in 0..<n {
            let gx = gap + (c % cols) * (tileW + gap), gy = gap + (c / cols) * (label + tileH + gap)
            tiles.append((gx, gy, tileW, label + tileH))
            captions[c].draw(on: &canvas, x: gx, y: gy)
            let values = maps.channel(c)
            if let overlay {
                overlay.blend(values, height: maps.height, width: maps.width, range: ranges[c],
                              colormap: colormap) { x, y, col in
                    canvas.rect(gx + x * scale, gy + label + y * scale, scale, scale, col)
                }
                continue
            }
            for y in 0..<tileH {
                for x in 0..<tileW {
                    let v = values[values.startIndex + (y / scale) * maps.width + x / scale]
                    canvas.set(gx + x, gy + label + y, colormap.rgb(Render.unit(v, ranges[c])))
                }
            }
        }
        // Colour bar: high at the top, labelled with the shared range (or high / low when each channel has its own).
        let bx = width - barSpace + 6, by = gap + label, bh = max(40, min(height - by - gap, 256))
        colourBar(on: &canvas, x: bx, y: by, width: bar, height: bh, colormap: colormap, labels: barLabels)
        return (canvas.raster, Layout(width: width, height: height, tiles: tiles))
    }

    /// A vertical colour bar, the map's top at the top, with `labels` spread evenly from its top to its bottom
    /// on the right (high … low).
    static func colourBar(on canvas: inout Canvas, x: Int, y: Int, width: Int, height: Int, colormap: Colormap,
                          labels: [String]) {
        for row in 0..<height {
            let colour = colormap.rgb(1 - Float(row) / Float(max(height - 1, 1)))
            for col in 0..<width { canvas.set(x + col, y + row, colour) }
        }
        let textHeight = TextFont.height * 2
        for (i, text) in labels.enumerated() {
            let top = labels.count == 1 ? y : y + i * (height - textHeight) / (labels.count - 1)
            canvas.write(text, x: x + width + 5, y: top, scale: 2, colour: ink)
        }
    }

    /// A number in at most 5 characters of the digit font.
    static func short(_ v: Float) -> String {
        if v == v.rounded(), abs(v) < 10000 { return String(Int(v)) }
        if abs(v) >= 0.01 && abs(v) < 1000 {
            // Fewer digits until it fits, rounded (0.0399 is 0.04, not 0.039).
            for digits in [3, 2] {
                let s = String(format: "%.\(digits)g", Double(v))
                if s.count <= 5 { return s }
            }
            return String(format: "%.1g", Double(v))
        }
        return String(format: "%.0e", Double(v)).replacingOccurrences(of: "e-0", with: "e-")
            .replacingOccurrences(of: "e+0", with: "e")
    }
}

/// An RGB drawing surface.
struct Canvas {
    let width: Int, height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int) {
        self.width = width; self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
    }

    mutating func fill(_ c: (UInt8, UInt8, UInt8)) {
        for i in 0..<(width * height) { pixels[3 * i] = c.0; pixels[3 * i + 1] = c.1; pixels[3 * i + 2] = c.2 }
    }

    @inline(__always)
    mutating func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = 3 * (y * width + x)
        pixels[i] = c.0; pixels[i + 1] = c.1; pixels[i + 2] = c.2
    }

    mutating func text(_ s: String, x: Int, y: Int, scale: Int, colour: (UInt8, UInt8, UInt8)) {
        var cx = x
        for ch in s {
            if let rows = DigitFont.glyphs[ch] {
                for (ry, bits) in rows.enumerated() {
                    for rx in 0..<DigitFont.width where bits & (1 << (DigitFont.width - 1 - rx)) != 0 {
                        for dy in 0..<scale { for dx in 0..<scale {
                            set(cx + rx * scale + dx, y + ry * scale + dy, colour)
                        } }
                    }
                }
            }
            cx += (DigitFont.width + 1) * scale
        }
    }

    var raster: RasterImage {
        let img = RasterImage(width: width, height: height, channels: 3, bitDepth: 8, hasAlpha: false)
        pixels.withUnsafeBufferPointer { buf in
            for y in 0..<height {
                img.rowPointer(y).copyMemory(from: buf.baseAddress! + y * width * 3, byteCount: width * 3)
            }
        }
        return img
    }
}
