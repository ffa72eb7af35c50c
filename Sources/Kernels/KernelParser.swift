import Foundation
import Tensors

/// Parser of the kernel text format (documented in kernels/README.md):
///
///     # comment
///     name: gaussian
///     description: 3×3 Gaussian blur
///     scale: 1/16
///     1 2 1
///     2 4 2
///     1 2 1
///
/// Numbers are separated by spaces or commas and may be fractions (`1/16`).
/// A blank line separates the channel slices of a 3-D filter; a line
/// `filter` (optionally `filter bias=1`) starts the next filter of a bank.
public enum KernelParser {
    public static func parse(_ text: String, source: String, defaultName: String = "kernel") throws -> KernelFile {
        var utf8 = text
        var file = try utf8.withUTF8 { try parse(buffer: $0, source: source, defaultName: defaultName) }
        file.sourceText = text
        return file
    }

    /// One pass over the bytes (lines end in LF or CRLF); a slice's values
    /// are gathered in one array and cut into rows once the slice is complete.
    static func parse(buffer text: UnsafeBufferPointer<UInt8>, source: String,
                      defaultName: String) throws -> KernelFile {
        var name = defaultName, description = "", scale: Float = 1, headerBias: Float?
        var filters: [KernelFile.Filter] = []
        var slices: [[[Float]]] = [], values: [Float] = [], rows = 0
        var currentBias: Float = 0
        // Row-length checks refer back to where the first row of a slice started.
        var sliceStart = (line: 0, width: 0)

        func fail(_ line: Int, _ column: Int?, _ message: String) -> KernelError {
            KernelError(source: source, line: line, column: column, message)
        }
        func closeSlice() {
            guard rows > 0 else { return }
            let w = sliceStart.width
            slices.append((0..<rows).map { Array(values[($0 * w)..<(($0 + 1) * w)]) })
            values = []; rows = 0
        }
        func closeFilter() {
            closeSlice()
            if !slices.isEmpty { filters.append(.init(slices: slices, bias: currentBias)); slices = [] }
        }

        try TextScan.lines(text) { lineNo, lineRange in
            // Settings and `filter` lines are short: only they become strings.
            // A row starting with a digit, '+' or '.' is no setting (a key is letters, '-' and '_').
            var first = lineRange.lowerBound
            while first < lineRange.upperBound, text[first] == 0x20 || text[first] == 0x09 { first += 1 }
            let lead = first < lineRange.upperBound ? text[first] : 0x23
            let numeric = (0x30...0x39).contains(lead) || lead == 0x2B || lead == 0x2E
            if !numeric, lead != 0x23,
               text[first..<lineRange.upperBound].contains(0x3A) || text[first...].starts(with: "filter".utf8) {
                var line = Substring(TextScan.string(text, lineRange))
                if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
                let trimmed = line.trimmingSpaces()
                if let colon = trimmed.firstIndex(of: ":"),
                   trimmed[..<colon].allSatisfy({ $0.isLetter || $0 == "-" || $0 == "_" }) {
                    let key = trimmed[..<colon].lowercased()
                    let value = String(trimmed[trimmed.index(after: colon)...].trimmingSpaces())
                    let valueColumn = column(of: value, in: line)
                    switch key {
                    case "name": name = value
                    case "description": description = value
                    case "scale":
                        guard let v = TextNumbers.parse(Substring(value)) else {
                            throw fail(lineNo, valueColumn, "scale '\(Excerpt.quote(value))' is not a number")
                        }
                        scale = v
                    case "bias":
                        guard let v = TextNumbers.parse(Substring(value)) else {
                            throw fail(lineNo, valueColumn, "bias '\(Excerpt.quote(value))' is not a number")
                        }
                        headerBias = v
                    default:
                        let quoted = Excerpt.quote(key)
                        throw fail(lineNo, column(of: String(trimmed), in: line),
                                   "unknown setting '\(quoted)' (expected name, description, scale or bias)")
                    }
                    return
                }
                if trimmed.hasPrefix("filter") {
                    closeFilter()
                    currentBias = 0
                    let rest = trimmed.dropFirst("filter".count)
                    for token in rest.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }) {
                        guard token.hasPrefix("bias="), let v = TextNumbers.parse(token.dropFirst(5)) else {
                            throw fail(lineNo, column(of: String(token), in: line),
                                       "expected 'bias=NUMBER' after 'filter', found '\(Excerpt.quote(token))'")
                        }
                        currentBias = v
                    }
                    return
                }
            }
            // A row of numbers, a blank line or a comment.
            let (commentOnly, count) = try TextScan.tokens(text, line: lineRange) { token, col in
                guard let v = TextNumbers.parse(TextScan.string(text, token)) else {
                    let quoted = Excerpt.quote(UnsafeBufferPointer(rebasing: text[token]))
                    throw fail(lineNo, col, "'\(quoted)' is not a number")
                }
                values.append(v * scale)
            }
            if count == 0 {
                if !commentOnly { closeSlice() }
                return
            }
            if rows == 0 {
                sliceStart = (lineNo, count)
            } else if count != sliceStart.width {
                let (line, width) = sliceStart
                throw fail(lineNo, nil, "ragged rows: this row has \(count) values but row \(line) has \(width)")
            }
            rows += 1
        }
        closeFilter()

        guard let first = filters.first else { throw KernelError(source: source, "no kernel values (an empty kernel)") }
        let h = first.slices[0].count, w = first.slices[0][0].count, d = first.slices.count
        for (fi, f) in filters.enumerated() {
            guard f.slices.count == d else {
                throw KernelError(source: source, "filter \(fi + 1) has \(f.slices.count) channel slices but filter 1 has \(d)")
            }
            for s in f.slices where s.count != h || s[0].count != w {
                throw KernelError(source: source, "filter \(fi + 1) has a \(s.count)×\(s[0].count) slice but filter 1 is \(h)×\(w)")
            }
        }
        if let headerBias {
            guard filters.count == 1 else { throw KernelError(source: source, "'bias:' applies to a single filter; give a bank's biases as 'filter bias=…'") }
            filters[0].bias = headerBias
        }
        return KernelFile(name: name, description: description, filters: filters, origin: source)
    }

    private static func column(of value: String, in line: Substring) -> Int? {
        guard !value.isEmpty, let r = line.range(of: value) else { return nil }
        return line.distance(from: line.startIndex, to: r.lowerBound) + 1
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
