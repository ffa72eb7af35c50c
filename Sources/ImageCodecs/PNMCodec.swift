import Foundation

/// Netpbm P1–P6. Bitmaps (P1, P4) decode with 1 as black; any maxval up to
/// 65535 is accepted and rescaled to 8 bits (maxval < 256) or 16 bits.
enum PNMCodec {
    static func decode(_ bytes: [UInt8], path: String) throws -> RasterImage {
        var pos = 2
        let kind = bytes[1] - UInt8(ascii: "0")
        func fail(_ why: String) -> CodecError { CodecError(path, "PNM (P\(kind)): \(why)") }
        func skipSpaceAndComments() {
            while pos < bytes.count {
                if bytes[pos] == UInt8(ascii: "#") {
                    while pos < bytes.count && bytes[pos] != 10 && bytes[pos] != 13 { pos += 1 }
                } else if isSpace(bytes[pos]) { pos += 1 } else { break }
            }
        }
        func number(_ what: String) throws -> Int {
            skipSpaceAndComments()
            var v = 0, digits = 0
            while pos < bytes.count, (48...57).contains(bytes[pos]) {
                v = v * 10 + Int(bytes[pos] - 48)
                digits += 1; pos += 1
                guard v <= 1 << 30 else { throw fail("\(what) is too large") }
            }
            guard digits > 0 else { throw fail(pos >= bytes.count ? "truncated file (missing \(what))" : "expected \(what), found '\(Character(UnicodeScalar(bytes[pos])))'") }
            return v
        }
        let w = try number("width"), h = try number("height")
        let bitmap = kind == 1 || kind == 4
        let maxval = bitmap ? 1 : try number("maxval")
        guard w > 0, h > 0 else { throw fail("image has no pixels (\(w)×\(h))") }
        guard (1...65535).contains(maxval) else { throw fail("maxval \(maxval) is outside 1...65535") }
        let channels = (kind == 3 || kind == 6) ? 3 : 1
        let count = w * h * channels
        let depth = maxval > 255 ? 16 : 8
        let binary = kind >= 4
        if binary {
            pos += 1 // exactly one whitespace byte after the header
            let need = kind == 4 ? ((w + 7) / 8) * h : count * (maxval > 255 ? 2 : 1)
            guard bytes.count - min(pos, bytes.count) >= need else {
                throw fail("truncated file: \(w)×\(h) needs \(need) bytes of pixels, found \(max(0, bytes.count - pos))")
            }
        } else {
            // At least one byte per sample follows, or the file is truncated.
            guard bytes.count - pos >= count else { throw fail("truncated file: fewer values than \(w)×\(h)×\(channels)") }
        }
        let image = RasterImage(width: w, height: h, channels: channels, bitDepth: depth, hasAlpha: false)
        let outMax = depth == 8 ? 255 : 65535
        func put(_ i: Int, _ v: Int) {
            let scaled = maxval == outMax ? v : (v * outMax + maxval / 2) / maxval
            if depth == 8 { image.samples.bytes.storeBytes(of: UInt8(scaled), toByteOffset: i, as: UInt8.self) }
            else { image.samples.bytes.storeBytes(of: UInt16(scaled), toByteOffset: 2 * i, as: UInt16.self) }
        }
        switch kind {
        case 4:
            let rowBytes = (w + 7) / 8
            for y in 0..<h { for x in 0..<w {
                let bit = (bytes[pos + y * rowBytes + x / 8] >> (7 - UInt8(x % 8))) & 1
                put(y * w + x, bit == 1 ? 0 : 1)
            } }
        case 5, 6:
            for i in 0..<count {
                let v = maxval > 255 ? Int(bytes[pos + 2 * i]) << 8 | Int(bytes[pos + 2 * i + 1]) : Int(bytes[pos + i])
                guard v <= maxval else { throw fail("sample \(v) exceeds maxval \(maxval)") }
                put(i, v)
            }
        default: // ASCII P1, P2, P3
            for i in 0..<count {
                let v: Int
                if kind == 1 {
                    skipSpaceAndComments()
                    guard pos < bytes.count, bytes[pos] == 48 || bytes[pos] == 49 else { throw fail("truncated or invalid bitmap data") }
                    v = bytes[pos] == 49 ? 0 : 1
                    pos += 1
                } else {
                    v = try number("sample \(i + 1)")
                    guard v <= maxval else { throw fail("sample \(v) exceeds maxval \(maxval)") }
                }
                put(i, v)
            }
        }
        return image
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 || b == 11 || b == 12 }

    /// P5 (one channel) or P6 (three), 8 or 16 bits.
    static func encode(_ image: RasterImage) -> [UInt8] {
        let kind = image.channels == 1 ? "P5" : "P6"
        var out = Array("\(kind)\n\(image.width) \(image.height)\n\(Int(image.maxValue))\n".utf8)
        let n = image.width * image.channels
        out.reserveCapacity(out.count + image.height * image.rowBytes)
        for y in 0..<image.height {
            if image.bitDepth == 8 {
                out += UnsafeBufferPointer(start: image.rowPointer(y).assumingMemoryBound(to: UInt8.self), count: n)
            } else {
                let s = image.rowPointer(y).assumingMemoryBound(to: UInt16.self)
                for i in 0..<n { out.append(UInt8(s[i] >> 8)); out.append(UInt8(s[i] & 0xFF)) }
            }
        }
        return out
    }
}
