import Tensors

/// Text matrices for exact numbers: one row per line, values separated by
/// spaces or commas (fractions allowed), `#` comments, a blank line between
/// channels. What `--print` writes reads back unchanged.
public enum TextMatrix {
    public static func decode(_ text: String, path: String) throws -> Tensor {
        var channels: [[[Float]]] = [], rows: [[Float]] = []
        var firstRowLine = 0
        func fail(_ line: Int, _ col: Int?, _ why: String) -> CodecError {
            CodecError(path + ":\(line)" + (col.map { ":\($0)" } ?? ""), why)
        }
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let commentOnly = line.drop(while: { $0 == " " || $0 == "\t" }).first == "#"
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let tokens = TextNumbers.tokens(of: line)
            if tokens.isEmpty {
                if !commentOnly && !rows.isEmpty { channels.append(rows); rows = [] }
                continue
            }
            var row: [Float] = []
            for (token, col) in tokens {
                guard let v = TextNumbers.parse(token) else { throw fail(i + 1, col, "'\(token)' is not a number") }
                row.append(v)
            }
            if rows.isEmpty { firstRowLine = i + 1 }
            if let w = rows.first?.count, w != row.count {
                throw fail(i + 1, nil, "ragged rows: this row has \(row.count) values but line \(firstRowLine) has \(w)")
            }
            if let first = channels.first, rows.isEmpty, first[0].count != row.count {
                throw fail(i + 1, nil, "channel \(channels.count + 1) has \(row.count) columns but channel 1 has \(first[0].count)")
            }
            rows.append(row)
        }
        if !rows.isEmpty { channels.append(rows) }
        guard let first = channels.first else { throw CodecError(path, "no numbers in the text matrix (an empty file)") }
        for (c, ch) in channels.enumerated() where ch.count != first.count {
            throw CodecError(path, "channel \(c + 1) has \(ch.count) rows but channel 1 has \(first.count)")
        }
        let t = Tensor(channels: channels)
        return channels.count == 1 ? t.reshaped([first.count, first[0].count]) : t
    }

    public static func encode(_ t: Tensor) -> String {
        let p = t.planes
        return (0..<p.channels).map { c in
            TextNumbers.formatRows(t.rows(channel: c)).joined(separator: "\n") + "\n"
        }.joined(separator: "\n")
    }
}
