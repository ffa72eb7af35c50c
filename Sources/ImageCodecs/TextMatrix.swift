import Tensors

/// Text matrices for exact numbers: one row per line, values separated by
/// spaces or commas (fractions allowed), `#` comments, a blank line between
/// channels. What `--print` writes reads back unchanged. Lines end in LF or
/// CRLF.
public enum TextMatrix {
    public static func decode(_ text: String, path: String) throws -> Tensor {
        var text = text
        return try text.withUTF8 { try decode(buffer: $0, path: path) }
    }

    public static func decode(bytes: [UInt8], path: String) throws -> Tensor {
        try bytes.withUnsafeBufferPointer { try decode(buffer: $0, path: path) }
    }

    /// One pass over the bytes into one array of values: memory is the file
    /// and four bytes a value, whatever the shape of the rows.
    static func decode(buffer text: UnsafeBufferPointer<UInt8>, path: String) throws -> Tensor {
        var values: [Float] = []
        // Values a row (from the first row), rows of channel 1, closed channels,
        // rows of the current channel and the line of its first row.
        var width = 0, height = 0, channels = 0, rows = 0, firstRowLine = 0
        func fail(_ line: Int, _ col: Int?, _ why: String) -> CodecError {
            CodecError(path + ":\(line)" + (col.map { ":\($0)" } ?? ""), why)
        }
        func closeChannel() throws {
            guard rows > 0 else { return }
            if channels == 0 { height = rows }
            guard rows == height else {
                throw CodecError(path, "channel \(channels + 1) has \(rows) rows but channel 1 has \(height)")
            }
            channels += 1; rows = 0
        }
        try TextScan.lines(text) { lineNo, line in
            let (commentOnly, count) = try TextScan.tokens(text, line: line) { token, col in
                guard let v = TextNumbers.parse(TextScan.string(text, token)) else {
                    let quoted = Excerpt.quote(UnsafeBufferPointer(rebasing: text[token]))
                    throw fail(lineNo, col, "'\(quoted)' is not a number")
                }
                values.append(v)
            }
            if count == 0 {
                if !commentOnly { try closeChannel() }
                return
            }
            if rows > 0, count != width {
                throw fail(lineNo, nil,
                           "ragged rows: this row has \(count) values but line \(firstRowLine) has \(width)")
            }
            if rows == 0, channels > 0, count != width {
                throw fail(lineNo, nil, "channel \(channels + 1) has \(count) columns but channel 1 has \(width)")
            }
            if rows == 0 { firstRowLine = lineNo; width = count }
            rows += 1
        }
        try closeChannel()
        guard channels > 0 else { throw CodecError(path, "no numbers in the text matrix (an empty file)") }
        return Tensor(shape: channels == 1 ? [height, width] : [channels, height, width], values: values)
    }

    public static func encode(_ t: Tensor) -> String {
        let p = t.planes
        return (0..<p.channels).map { c in
            TextNumbers.formatRows(t.rows(channel: c)).joined(separator: "\n") + "\n"
        }.joined(separator: "\n")
    }
}
