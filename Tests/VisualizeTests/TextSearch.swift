import ImageCodecs
@testable import Visualize

/// Finding words in a rendered picture: the glyphs of `TextFont` (their bitmaps are checked on their own in
/// `TextFontTests`) looked for pixel by pixel, so a test can say "the label '3' is above tile 3".
enum TextSearch {
    static let ink: (UInt8, UInt8, UInt8) = (235, 235, 235)

    static func pixel(_ img: RasterImage, _ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let p = img.rowPointer(y).assumingMemoryBound(to: UInt8.self) + 3 * x
        return (p[0], p[1], p[2])
    }

    /// Whether `text` is written with its top-left corner at (x, y): every ink pixel of each glyph is `ink`
    /// and every other pixel of the glyph's cell is not.
    static func isWritten(_ img: RasterImage, _ text: String, x: Int, y: Int, scale: Int = 2) -> Bool {
        let w = TextFont.width, h = TextFont.height
        guard x >= 0, y >= 0, x + TextFont.measure(text, scale: scale) <= img.width, y + h * scale <= img.height
        else { return false }
        for (i, ch) in text.enumerated() {
            let rows = TextFont.glyphs[ch] ?? TextFont.missing
            let left = x + i * (w + 1) * scale
            for ry in 0..<(h * scale) { for rx in 0..<(w * scale) {
                let on = rows[ry / scale] & (1 << (w - 1 - rx / scale)) != 0
                if (pixel(img, left + rx, y + ry) == ink) != on { return false }
            } }
        }
        return true
    }

    /// Every top-left corner inside `region` (x, y, width, height) where `text` is written.
    static func find(_ img: RasterImage, _ text: String, scale: Int = 2,
                     in region: (x: Int, y: Int, w: Int, h: Int)? = nil) -> [(x: Int, y: Int)] {
        let r = region ?? (0, 0, img.width, img.height)
        var found: [(x: Int, y: Int)] = []
        for y in max(0, r.y)..<min(img.height, r.y + r.h) {
            for x in max(0, r.x)..<min(img.width, r.x + r.w) where isWritten(img, text, x: x, y: y, scale: scale) {
                found.append((x, y))
            }
        }
        return found
    }
}
