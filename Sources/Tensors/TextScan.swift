import Foundation

/// Text read as bytes, line by line and token by token, without splitting the
/// whole file into strings: a parser holds the file and what it builds, no more.
/// Shared by the text matrix reader (ImageCodecs) and the kernel file parser (Kernels).
public enum TextScan {
    /// Calls `body` with each line's number (from 1) and byte range. A line ends
    /// at LF or CRLF; the last one at the end of the text, a trailing CR dropped.
    public static func lines(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Range<Int>) throws -> Void) rethrows {
        guard let base = text.baseAddress else { return try body(1, 0..<0) }
        var start = 0, number = 1
        while true {
            let rest = text.count - start
            let lf = rest > 0 ? memchr(base + start, 0x0A, rest) : nil
            var end = lf.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? text.count
            let next = end + 1
            if end > start, text[end - 1] == 0x0D { end -= 1 }
            try body(number, start..<end)
            guard lf != nil else { return }
            start = next; number += 1
        }
    }

    /// The tokens of a line (separated by spaces, tabs or commas) with their
    /// 1-based columns in characters, up to a `#` comment. Returns whether the
    /// line holds only a comment.
    @discardableResult
    public static func tokens(_ text: UnsafeBufferPointer<UInt8>, line: Range<Int>,
                       _ body: (Range<Int>, Int) throws -> Void) rethrows -> (commentOnly: Bool, count: Int) {
        var start: Int? = nil, startColumn = 0, column = 0, count = 0
        for i in line {
            let b = text[i]
            if b & 0xC0 != 0x80 { column += 1 }  // a UTF-8 sequence's first byte starts a character
            if b == 0x23 {  // '#'
                if let s = start { try body(s..<i, startColumn); count += 1; start = nil }
                return (count == 0 && text[line.lowerBound..<i].allSatisfy { $0 == 0x20 || $0 == 0x09 }, count)
            }
            if b == 0x20 || b == 0x09 || b == 0x2C {
                if let s = start { try body(s..<i, startColumn); count += 1; start = nil }
            } else if start == nil {
                start = i; startColumn = column
            }
        }
        if let s = start { try body(s..<line.upperBound, startColumn); count += 1 }
        return (false, count)
    }

    /// The bytes as a string.
    public static func string(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: text[range]), as: UTF8.self)
    }
}

/// Text quoted in an error message: one line, short.
public enum Excerpt {
    /// At most `limit` characters, then "…"; line breaks, tabs and other
    /// control characters escaped (`\n`, `\r`, `\t`, `\u{1b}`).
    public static func quote<C: Collection>(_ bytes: C, limit: Int = 40) -> String where C.Element == UInt8 {
        // Four bytes at most per character: enough to tell whether more follow.
        let head = Array(bytes.prefix(4 * limit + 4))
        var out = "", count = 0
        for s in String(decoding: head, as: UTF8.self).unicodeScalars {
            if count == limit { return out + "…" }
            count += 1
            switch s {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                switch s.properties.generalCategory {
                case .control, .lineSeparator, .paragraphSeparator, .format, .unassigned:
                    out += "\\u{" + String(s.value, radix: 16) + "}"
                default: out.unicodeScalars.append(s)
                }
            }
        }
        return out
    }

    public static func quote<S: StringProtocol>(_ text: S, limit: Int = 40) -> String { quote(text.utf8, limit: limit) }
}
