import Tensors

/// The header of a .npy file, checked as the format specifies
/// (numpy.lib.format): a Python dict literal with exactly the keys `descr`
/// (a dtype string), `fortran_order` (True or False) and `shape` (a tuple of
/// non-negative integers, `(3,)` for one dimension), ended by a newline and
/// padded with spaces so that the data starts on an aligned offset.
struct NPYHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    /// numpy refuses longer headers unless told to trust the file.
    static let maxLength = 10000
    /// The format asks for 64 since numpy 1.14; older numpy wrote 16, and reads both.
    static let alignment = 16

    /// A literal in the header: the text it was written as, and what it is.
    struct Value {
        enum Kind { case string(String), name(String), integer(String), tuple([Value]) }
        var kind: Kind
        var text: String
    }

    /// `headerStart`: the header's offset in the file (10 or 12).
    init(_ bytes: ArraySlice<UInt8>, headerStart: Int, fail: (String) -> CodecError) throws {
        let b = Array(bytes)
        guard b.count <= Self.maxLength else {
            throw fail("header of \(b.count) bytes is longer than numpy's limit of \(Self.maxLength)")
        }
        guard (headerStart + b.count) % Self.alignment == 0 else {
            throw fail("header ends at byte \(headerStart + b.count), not on a multiple of \(Self.alignment) "
                       + "(padded with spaces, the format says)")
        }
        guard b.last == 0x0A else { throw fail("header does not end with a newline") }
        guard b.allSatisfy({ $0 < 0x80 }) else { throw fail("header is not ASCII text") }
        var pos = 0
        /// What follows `pos`, without the padding.
        func excerpt() -> String {
            var from = pos, end = b.count - 1
            while from < end, b[from] == 0x20 { from += 1 }
            while end > from, b[end - 1] == 0x20 { end -= 1 }
            return from == end ? "the end of the header" : "'\(Excerpt.quote(b[from..<end], limit: 20))'"
        }
        func syntax(_ expected: String) -> CodecError {
            fail("header is not a Python dict literal: expected \(expected) at \(excerpt())")
        }
        func skipSpaces() { while pos < b.count, b[pos] == 0x20 || b[pos] == 0x09 { pos += 1 } }
        func take(_ c: UInt8) -> Bool {
            skipSpaces()
            guard pos < b.count, b[pos] == c else { return false }
            pos += 1
            return true
        }
        func text(_ from: Int) -> String { String(decoding: b[from..<pos], as: UTF8.self) }
        func isWord(_ c: UInt8) -> Bool {
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x5F
        }
        func value() throws -> Value {
            skipSpaces()
            let from = pos
            guard pos < b.count else { throw syntax("a value") }
            switch b[pos] {
            case 0x27, 0x22:  // a string in single or double quotes, without escapes
                let quote = b[pos]
                pos += 1
                while pos < b.count, b[pos] != quote, b[pos] != 0x5C, b[pos] != 0x0A { pos += 1 }
                guard pos < b.count, b[pos] == quote else { pos = from; throw syntax("a string without escapes") }
                pos += 1
                return Value(kind: .string(String(decoding: b[(from + 1)..<(pos - 1)], as: UTF8.self)),
                             text: text(from))
            case 0x28:  // a tuple, or a value in parentheses
                pos += 1
                var items: [Value] = [], trailingComma = false
                while !take(0x29) {
                    items.append(try value())
                    trailingComma = take(0x2C)
                    if !trailingComma {
                        guard take(0x29) else { throw syntax("',' or ')'") }
                        break
                    }
                }
                if items.count == 1 && !trailingComma { return Value(kind: items[0].kind, text: text(from)) }
                return Value(kind: .tuple(items), text: text(from))
            case 0x2D, 0x30...0x39:  // an integer (Python allows no leading zeros)
                pos += 1
                while pos < b.count, isWord(b[pos]) || b[pos] == 0x2E { pos += 1 }
                let t = text(from), digits = t.drop { $0 == "-" }
                let plain = !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
                guard plain, digits == "0" || digits.first != "0" else {
                    throw fail("header value \(Excerpt.quote(t)) is not a decimal integer")
                }
                return Value(kind: .integer(t), text: t)
            default:
                guard isWord(b[pos]) else { throw syntax("a value") }
                while pos < b.count, isWord(b[pos]) { pos += 1 }
                return Value(kind: .name(text(from)), text: text(from))
            }
        }

        guard take(0x7B) else { throw syntax("'{'") }
        var entries: [String: Value] = [:]
        while !take(0x7D) {
            skipSpaces()
            let keyStart = pos
            guard pos < b.count - 1, case .string(let key) = try value().kind else {
                pos = keyStart
                throw syntax("a quoted key or '}'")
            }
            guard ["descr", "fortran_order", "shape"].contains(key) else {
                let quoted = Excerpt.quote(key)
                throw fail("header has an unknown key '\(quoted)' (numpy's are descr, fortran_order, shape)")
            }
            guard entries[key] == nil else { throw fail("header gives '\(key)' twice") }
            guard take(0x3A) else { throw syntax("':'") }
            entries[key] = try value()
            if !take(0x2C) {
                guard take(0x7D) else { throw syntax("',' or '}'") }
                break
            }
        }
        // Then only the padding: spaces and the final newline.
        guard b[pos..<(b.count - 1)].allSatisfy({ $0 == 0x20 }) else {
            throw fail("header has \(excerpt()) after its dict (only spaces may pad it)")
        }
        for key in ["descr", "fortran_order", "shape"] where entries[key] == nil {
            throw fail("header has no '\(key)'")
        }

        guard case .string(let descr) = entries["descr"]!.kind else {
            throw fail("'descr' is \(Excerpt.quote(entries["descr"]!.text)), not a dtype string such as '<f4'")
        }
        let order = entries["fortran_order"]!
        guard case .name(let word) = order.kind, word == "True" || word == "False" else {
            throw fail("'fortran_order' is \(Excerpt.quote(order.text)), not True or False")
        }
        let shapeValue = entries["shape"]!
        func badShape() -> CodecError {
            let quoted = Excerpt.quote(shapeValue.text)
            return fail("'shape' is \(quoted), not a tuple of non-negative integers such as (3,) or (2, 3)")
        }
        guard case .tuple(let items) = shapeValue.kind else { throw badShape() }
        shape = try items.map { item in
            guard case .integer(let t) = item.kind, !t.hasPrefix("-") else { throw badShape() }
            guard let d = Int(t) else { throw fail("dimension \(Excerpt.quote(t)) in 'shape' is too large") }
            return d
        }
        self.descr = descr
        fortranOrder = word == "True"
    }
}
