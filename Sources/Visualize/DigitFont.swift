/// A 3×5 bitmap font for the numbers on contact sheets and colour bars.
///
/// Covers `0123456789-.e+` and a space, enough to print values such as
/// `-1.5e+03`.  Each glyph is `width` pixels wide and `height` tall; leave a
/// column of spacing between glyphs when drawing a string.
enum DigitFont {
    static let width = 3, height = 5
    /// Rows top to bottom; bit 2 is the leftmost pixel of a row.
    static let glyphs: [Character: [UInt8]] = [
        "0": [0b010, 0b101, 0b101, 0b101, 0b010],
        "1": [0b010, 0b110, 0b010, 0b010, 0b111],
        "2": [0b111, 0b001, 0b111, 0b100, 0b111],
        "3": [0b111, 0b001, 0b011, 0b001, 0b111],
        "4": [0b101, 0b101, 0b111, 0b001, 0b001],
        "5": [0b111, 0b100, 0b110, 0b001, 0b110],
        "6": [0b011, 0b100, 0b111, 0b101, 0b111],
        "7": [0b111, 0b001, 0b010, 0b010, 0b010],
        "8": [0b111, 0b101, 0b111, 0b101, 0b111],
        "9": [0b111, 0b101, 0b111, 0b001, 0b110],
        "-": [0b000, 0b000, 0b111, 0b000, 0b000],
        ".": [0b000, 0b000, 0b000, 0b000, 0b010],
        "e": [0b000, 0b011, 0b111, 0b100, 0b011],
        "+": [0b000, 0b010, 0b111, 0b010, 0b000],
        " ": [0b000, 0b000, 0b000, 0b000, 0b000],
    ]
}
