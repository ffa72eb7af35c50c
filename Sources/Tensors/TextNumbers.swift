/// Numbers as people type them in kernel files and text matrices: decimals,
/// exponents and fractions (`1/16`), separated by spaces, tabs or commas.
public enum TextNumbers {
    /// A decimal number or a fraction `a/b`, e.g. `-1/16`, `0.25`, `1e-3`.
    public static func parse<S: StringProtocol>(_ token: S) -> Float? {
        if let slash = token.firstIndex(of: "/") {
            guard let a = Double(token[..<slash]), let b = Double(token[token.index(after: slash)...]),
                  b != 0, a.isFinite, b.isFinite else { return nil }
            return Float(a / b)
        }
        guard let v = Double(String(token)), v.isFinite else { return nil }
        return Float(v)
    }

    /// Tokens of a line with their 1-based columns.
    public static func tokens(of line: Substring) -> [(text: Substring, column: Int)] {
        var result: [(Substring, Int)] = []
        var start: Substring.Index? = nil
        var col = 0, startCol = 0
        for i in line.indices {
            col += 1
            let c = line[i]
            if c == " " || c == "\t" || c == "," {
                if let s = start { result.append((line[s..<i], startCol)); start = nil }
            } else if start == nil {
                start = i; startCol = col
            }
        }
        if let s = start { result.append((line[s...], startCol)) }
        return result
    }

    /// A value as the text formats print it: integers without a decimal point,
    /// others with the shortest digits that read back to the same Float.
    public static func format(_ v: Float) -> String {
        if v == v.rounded(), Swift.abs(v) < 1e9 { return v == 0 ? "0" : String(Int(v)) }
        return "\(v)"
    }

    /// Rows of a matrix as lines, columns right-aligned, one space apart.
    public static func formatRows(_ rows: [[Float]]) -> [String] {
        let cells = rows.map { $0.map(format) }
        let width = cells.flatMap { $0 }.map(\.count).max() ?? 0
        return cells.map { row in
            row.map { String(repeating: " ", count: width - $0.count) + $0 }.joined(separator: " ")
        }
    }
}
