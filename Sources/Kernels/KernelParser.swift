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
        var name = defaultName, description = "", scale: Float = 1, headerBias: Float?
        var filters: [KernelFile.Filter] = []
        var slices: [[[Float]]] = [], rows: [[Float]] = []
        var currentBias: Float = 0
        // Row-length checks refer back to where the first row of a slice started.
        var sliceStart = (line: 0, width: 0)

        func fail(_ line: Int, _ column: Int?, _ message: String) -> KernelError {
            KernelError(source: source, line: line, column: column, message)
        }
        func closeSlice() {
            if !rows.isEmpty { slices.append(rows); rows = [] }
        }
        func closeFilter() {
            closeSlice()
            if !slices.isEmpty { filters.append(.init(slices: slices, bias: currentBias)); slices = [] }
        }

        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let lineNo = index + 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let isCommentOnly = line.drop(while: { $0 == " " || $0 == "\t" }).first == "#"
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingSpaces()
            if trimmed.isEmpty {
                if !isCommentOnly { closeSlice() }
                continue
            }
            if let colon = trimmed.firstIndex(of: ":"), trimmed[..<colon].allSatisfy({ $0.isLetter || $0 == "-" || $0 == "_" }) {
                let key = trimmed[..<colon].lowercased()
                let value = String(trimmed[trimmed.index(after: colon)...].trimmingSpaces())
                let valueColumn = column(of: value, in: line)
                switch key {
                case "name": name = value
                case "description": description = value
                case "scale":
                    guard let v = TextNumbers.parse(Substring(value)) else { throw fail(lineNo, valueColumn, "scale '\(value)' is not a number") }
                    scale = v
                case "bias":
                    guard let v = TextNumbers.parse(Substring(value)) else { throw fail(lineNo, valueColumn, "bias '\(value)' is not a number") }
                    headerBias = v
                default:
                    throw fail(lineNo, column(of: String(trimmed), in: line), "unknown setting '\(key)' (expected name, description, scale or bias)")
                }
                continue
            }
            if trimmed.hasPrefix("filter") {
                closeFilter()
                currentBias = 0
                for token in trimmed.dropFirst("filter".count).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }) {
                    guard token.hasPrefix("bias="), let v = TextNumbers.parse(token.dropFirst(5)) else {
                        throw fail(lineNo, column(of: String(token), in: line), "expected 'bias=NUMBER' after 'filter', found '\(token)'")
                    }
                    currentBias = v
                }
                continue
            }
            // A row of numbers.
            var row: [Float] = []
            for (token, col) in TextNumbers.tokens(of: line) {
                guard let v = TextNumbers.parse(token) else {
                    throw fail(lineNo, col, "'\(token)' is not a number")
                }
                row.append(v * scale)
            }
            if rows.isEmpty {
                sliceStart = (lineNo, row.count)
            } else if row.count != sliceStart.width {
                throw fail(lineNo, nil, "ragged rows: this row has \(row.count) values but row \(sliceStart.line) has \(sliceStart.width)")
            }
            rows.append(row)
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
        var file = KernelFile(name: name, description: description, filters: filters, origin: source)
        file.sourceText = text
        return file
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
