/// A 5×7 bitmap font for plot titles, legends and class names (the 3×5
/// `DigitFont` only knows numbers).
///
/// Covers `A–Z a–z 0–9`, a space and `- . + / ( ) : % _ , ' ? ! =`. Lower-case
/// descenders (g j p q y) are squeezed into the 7 rows, as on character
/// LCDs. Characters without a glyph draw as a small box (`missing`).
enum TextFont {
    static let width = 5, height = 7

    /// Rows top to bottom; bit 4 is the leftmost pixel of a row.
    static let glyphs: [Character: [UInt8]] = {
        var table: [Character: [UInt8]] = [" ": [UInt8](repeating: 0, count: height)]
        for (chars, rows) in strips {
            let split = rows.map { $0.split(separator: " ") }
            precondition(split.count == height && split.allSatisfy { $0.count == chars.count }, "TextFont strip \(chars)")
            for (i, ch) in chars.enumerated() {
                table[ch] = split.map { row in
                    row[i].reduce(UInt8(0)) { bits, px in bits << 1 | (px == "#" ? 1 : 0) }
                }
            }
        }
        return table
    }()

    /// Drawn for characters the font does not know.
    static let missing: [UInt8] = [0b00000, 0b00000, 0b01110, 0b01010, 0b01010, 0b01110, 0b00000]

    /// The glyphs as pictures: each strip lists its characters, then their
    /// 7 rows side by side (`#` ink, `.` paper, a space between glyphs).
    static let strips: [(String, [String])] = [
        ("ABCDEFGHIJKLM", [
            ".###. ####. .###. ###.. ##### ##### .###. #...# .###. ..### #...# #.... #...#",
            "#...# #...# #...# #..#. #.... #.... #...# #...# ..#.. ...#. #..#. #.... ##.##",
            "#...# #...# #.... #...# #.... #.... #.... #...# ..#.. ...#. #.#.. #.... #.#.#",
            "##### ####. #.... #...# ####. ####. #.### ##### ..#.. ...#. ##... #.... #.#.#",
            "#...# #...# #.... #...# #.... #.... #...# #...# ..#.. ...#. #.#.. #.... #...#",
            "#...# #...# #...# #..#. #.... #.... #...# #...# ..#.. #..#. #..#. #.... #...#",
            "#...# ####. .###. ###.. ##### #.... .###. #...# .###. .##.. #...# ##### #...#",
        ]),
        ("NOPQRSTUVWXYZ", [
            "#...# .###. ####. .###. ####. .#### ##### #...# #...# #...# #...# #...# #####",
            "#...# #...# #...# #...# #...# #.... ..#.. #...# #...# #...# #...# #...# ....#",
            "##..# #...# #...# #...# #...# #.... ..#.. #...# #...# #...# .#.#. .#.#. ...#.",
            "#.#.# #...# ####. #...# ####. .###. ..#.. #...# #...# #.#.# ..#.. ..#.. ..#..",
            "#..## #...# #.... #.#.# #.#.. ....# ..#.. #...# #...# #.#.# .#.#. ..#.. .#...",
            "#...# #...# #.... #..#. #..#. ....# ..#.. #...# .#.#. #.#.# #...# ..#.. #....",
            "#...# .###. #.... .##.# #...# ####. ..#.. .###. ..#.. .#.#. #...# ..#.. #####",
        ]),
        ("abcdefghijklm", [
            "..... #.... ..... ....# ..... ..##. ..... #.... ..#.. ...#. #.... .##.. .....",
            "..... #.... ..... ....# ..... .#..# ..... #.... ..... ..... #.... ..#.. .....",
            ".###. #.##. .###. .##.# .###. .#... .#### #.##. .##.. ..##. #..#. ..#.. ##.#.",
            "....# ##..# #.... #..## #...# ###.. #...# ##..# ..#.. ...#. #.#.. ..#.. #.#.#",
            ".#### #...# #.... #...# ##### .#... .#### #...# ..#.. ...#. ##... ..#.. #.#.#",
            "#...# #...# #...# #...# #.... .#... ....# #...# ..#.. #..#. #.#.. ..#.. #...#",
            ".#### ####. .###. .#### .###. .#... .###. #...# .###. .##.. #..#. .###. #...#",
        ]),
        ("nopqrstuvwxyz", [
            "..... ..... ..... ..... ..... ..... .#... ..... ..... ..... ..... ..... .....",
            "..... ..... ..... ..... ..... ..... .#... ..... ..... ..... ..... ..... .....",
            "#.##. .###. ####. .#### #.##. .###. ###.. #...# #...# #...# #...# #...# #####",
            "##..# #...# #...# #...# ##..# #.... .#... #...# #...# #...# .#.#. #...# ...#.",
            "#...# #...# #...# #...# #.... .###. .#... #...# #...# #.#.# ..#.. .#### ..#..",
            "#...# #...# ####. .#### #.... ....# .#..# #..## .#.#. #.#.# .#.#. ....# .#...",
            "#...# .###. #.... ....# #.... ####. ..##. .##.# ..#.. .#.#. #...# .###. #####",
        ]),
        ("0123456789", [
            ".###. ..#.. .###. ##### ...#. ##### ..##. ##### .###. .###.",
            "#...# .##.. #...# ...#. ..##. #.... .#... ....# #...# #...#",
            "#..## ..#.. ....# ..#.. .#.#. ####. #.... ...#. #...# #...#",
            "#.#.# ..#.. ...#. ...#. #..#. ....# ####. ..#.. .###. .####",
            "##..# ..#.. ..#.. ....# ##### ....# #...# .#... #...# ....#",
            "#...# ..#.. .#... #...# ...#. #...# #...# .#... #...# ...#.",
            ".###. .###. ##### .###. ...#. .###. .###. .#... .###. .##..",
        ]),
        ("-.+/():%_,'?!=", [
            "..... ..... ..... ..... ...#. .#... ..... ##... ..... ..... ..#.. .###. ..#.. .....",
            "..... ..... ..#.. ....# ..#.. ..#.. .##.. ##..# ..... ..... ..#.. #...# ..#.. .....",
            "..... ..... ..#.. ...#. .#... ...#. .##.. ...#. ..... ..... ..... ...#. ..#.. #####",
            "##### ..... ##### ..#.. .#... ...#. ..... ..#.. ..... ..... ..... ..#.. ..#.. .....",
            "..... ..... ..#.. .#... .#... ...#. .##.. .#... ..... .##.. ..... ..#.. ..#.. #####",
            "..... .##.. ..#.. #.... ..#.. ..#.. .##.. #..## ..... ..#.. ..... ..... ..... .....",
            "..... .##.. ..... ..... ...#. .#... ..... ...## ##### .#... ..... ..#.. ..#.. .....",
        ]),
    ]

    /// Pixels a string occupies horizontally at `scale` (a column of spacing between glyphs).
    static func measure(_ s: String, scale: Int) -> Int {
        s.isEmpty ? 0 : s.count * (width + 1) * scale - scale
    }

    /// `s` cut to at most `max` characters, the last one replaced by a `.` when cut.
    static func truncate(_ s: String, to max: Int) -> String {
        guard s.count > max else { return s }
        guard max > 1 else { return String(s.prefix(max)) }
        return String(s.prefix(max - 1)) + "."
    }
}

extension Canvas {
    /// Text in the 5×7 `TextFont`, top-left at (x, y); `vertical` writes it
    /// bottom to top (rotated a quarter turn anticlockwise), starting at
    /// (x, y) as its bottom-left corner.
    mutating func write(_ s: String, x: Int, y: Int, scale: Int, colour: (UInt8, UInt8, UInt8), vertical: Bool = false) {
        let w = TextFont.width
        var pen = 0
        for ch in s {
            let rows = TextFont.glyphs[ch] ?? TextFont.missing
            for (ry, bits) in rows.enumerated() {
                for rx in 0..<w where bits & (1 << (w - 1 - rx)) != 0 {
                    for dy in 0..<scale { for dx in 0..<scale {
                        let gx = pen + rx * scale + dx, gy = ry * scale + dy
                        if vertical { set(x + gy, y - gx, colour) } else { set(x + gx, y + gy, colour) }
                    } }
                }
            }
            pen += (w + 1) * scale
        }
    }

    /// A filled axis-aligned rectangle.
    mutating func rect(_ x: Int, _ y: Int, _ w: Int, _ h: Int, _ c: (UInt8, UInt8, UInt8)) {
        let x0 = max(0, x), x1 = min(width, x + w), y0 = max(0, y), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
    }

    /// A rectangle's one-pixel outline.
    mutating func frame(_ x: Int, _ y: Int, _ w: Int, _ h: Int, _ c: (UInt8, UInt8, UInt8)) {
        rect(x, y, w, 1, c); rect(x, y + h - 1, w, 1, c)
        rect(x, y, 1, h, c); rect(x + w - 1, y, 1, h, c)
    }

    /// A filled disc.
    mutating func disc(_ cx: Double, _ cy: Double, radius r: Double, _ c: (UInt8, UInt8, UInt8)) {
        let x0 = Int((cx - r).rounded(.down)), x1 = Int((cx + r).rounded(.up))
        let y0 = Int((cy - r).rounded(.down)), y1 = Int((cy + r).rounded(.up))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 { for x in x0...x1 {
            let dx = Double(x) - cx, dy = Double(y) - cy
            if dx * dx + dy * dy <= r * r + 0.25 { set(x, y, c) }
        } }
    }

    /// A line `thickness` pixels wide (discs stamped along it).
    mutating func line(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, thickness: Double,
                       _ c: (UInt8, UInt8, UInt8)) {
        guard ax.isFinite, ay.isFinite, bx.isFinite, by.isFinite else { return }
        let steps = max(1, Int((max(abs(bx - ax), abs(by - ay)) * 2).rounded(.up)))
        guard steps < 100_000 else { return }
        for i in 0...steps {
            let t = Double(i) / Double(steps)
            disc(ax + (bx - ax) * t, ay + (by - ay) * t, radius: thickness / 2, c)
        }
    }

    /// The colour at (x, y).
    func pixel(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let i = 3 * (y * width + x)
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}
