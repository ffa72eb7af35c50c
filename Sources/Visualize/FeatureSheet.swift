import Explain
import Foundation
import ImageCodecs

/// The pictures of feature visualisation for people: one PNG per channel at the model's input size, and
/// a contact sheet of them all, each enlarged by whole pixels to at least 96 and titled with its
/// channel and the activation it reaches, under a caption.
public enum FeatureSheet {
    /// One picture: channels × h × w in [0, 1] (1 channel grey, 3 RGB; of others the first is shown).
    public struct Tile {
        public var values: [Float]
        public var channels: Int, height: Int, width: Int
        public var title: String
        public init(values: [Float], channels: Int, height: Int, width: Int, title: String) {
            precondition(values.count == channels * height * width)
            self.values = values; self.channels = channels; self.height = height; self.width = width
            self.title = title
        }

        var colour: Bool { channels == 3 }

        /// The pixel (x, y) of the picture as 8-bit RGB.
        func rgb(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
            let area = height * width, i = y * width + x
            func byte(_ c: Int) -> UInt8 { UInt8((min(max(values[c * area + i], 0), 1) * 255).rounded()) }
            return colour ? (byte(0), byte(1), byte(2)) : (byte(0), byte(0), byte(0))
        }
    }

    /// A tile as an image at its own size (grey or RGB).
    public static func image(_ tile: Tile) -> RasterImage {
        let channels = tile.colour ? 3 : 1
        let img = RasterImage(width: tile.width, height: tile.height, channels: channels, bitDepth: 8, hasAlpha: false)
        for y in 0..<tile.height {
            let row = img.rowPointer(y).assumingMemoryBound(to: UInt8.self)
            for x in 0..<tile.width {
                let (r, g, b) = tile.rgb(x, y)
                if tile.colour { row[3 * x] = r; row[3 * x + 1] = g; row[3 * x + 2] = b } else { row[x] = r }
            }
        }
        return img
    }

    /// The tiles in a grid about `ContactSheet.maxWidth` wide.
    public static func render(_ tiles: [Tile], caption: String) -> RasterImage {
        let s = 2, line = TextFont.height * s + 6, gap = 8
        let side = max(tiles.map { max($0.height, $0.width) }.max() ?? 1, 1)
        var scale = max(1, (96 + side - 1) / side)
        let tileW = { (tiles.map(\.width).max() ?? 1) * scale }, tileH = { (tiles.map(\.height).max() ?? 1) * scale }
        var cols = max(1, Int(Double(tiles.count).squareRoot().rounded(.up)))
        while scale > 1 && gap + cols * (tileW() + gap) > ContactSheet.maxWidth { scale -= 1 }
        cols = max(1, min(cols, (ContactSheet.maxWidth - gap) / (tileW() + gap)))
        let rows = (tiles.count + cols - 1) / cols, w = tileW(), h = tileH()
        let width = max(gap + cols * (w + gap), TextFont.measure(caption, scale: s) + 2 * gap)
        let height = gap + line + rows * (line + h + gap)
        var canvas = Canvas(width: width, height: height)
        canvas.fill(ContactSheet.background)
        canvas.write(caption, x: gap, y: gap, scale: s, colour: ContactSheet.ink)
        let letters = max(1, w / ((TextFont.width + 1) * s))
        for (n, tile) in tiles.enumerated() {
            let x0 = gap + (n % cols) * (w + gap), y0 = gap + line + (n / cols) * (line + h + gap)
            canvas.write(TextFont.truncate(tile.title, to: letters), x: x0, y: y0, scale: s, colour: ContactSheet.ink)
            for y in 0..<(tile.height * scale) {
                for x in 0..<(tile.width * scale) { canvas.set(x0 + x, y0 + line + y, tile.rgb(x / scale, y / scale)) }
            }
        }
        return canvas.raster
    }

    /// The tiles of `pictures`, each titled with its name (a channel's number, a class's name) and the
    /// activation it reaches.
    public static func tiles(_ pictures: [FeaturePicture], names: [String]) -> [Tile] {
        zip(names, pictures).map { name, p in
            Tile(values: p.values, channels: p.channels, height: p.height, width: p.width,
                 title: "\(name) " + String(format: "%.3g", p.objective))
        }
    }

    /// The sheet's caption: what was raised (`objective`: "channel mean", say), how long, in which model.
    public static func caption(layer: String, objective: String, steps: Int, model: String) -> String {
        "\(layer) \(objective)s, \(steps) steps: \((model as NSString).lastPathComponent)"
    }

    /// Writes DIR/NAME.png (the sheet) and DIR/NAME/NNN.png (one picture per tile, numbered by `numbers`),
    /// all or nothing (`OutputDirectory`); returns the files written, relative to DIR.
    @discardableResult
    public static func write(_ tiles: [Tile], numbers: [Int], name: String, caption: String,
                             into target: String) throws -> [String] {
        try OutputDirectory.write(target) { dir in
            try writeFiles(tiles, numbers: numbers, name: name, caption: caption, into: dir).files
        }
    }

    /// `write`'s files into the existing directory `dir` as they are made, for a caller that writes
    /// all or nothing itself (the activation report); also the sheet's width.
    static func writeFiles(_ tiles: [Tile], numbers: [Int], name: String, caption: String,
                           into dir: String) throws -> (files: [String], width: Int) {
        precondition(numbers.count == tiles.count)
        let file = name.replacingOccurrences(of: "/", with: "_")
        let digits = max(3, String(numbers.max() ?? 0).count)
        try FileManager.default.createDirectory(atPath: dir + "/" + file, withIntermediateDirectories: true)
        var written: [String] = []
        for (tile, number) in zip(tiles, numbers) {
            let path = file + "/" + String(repeating: "0", count: digits - String(number).count) + "\(number).png"
            try ImageWriter.write(image(tile), format: .png, to: dir + "/" + path)
            written.append(path)
        }
        let sheet = render(tiles, caption: caption)
        try ImageWriter.write(sheet, format: .png, to: dir + "/" + file + ".png")
        return ([file + ".png"] + written, sheet.width)
    }
}
