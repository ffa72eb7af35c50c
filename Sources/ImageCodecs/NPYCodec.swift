import Foundation
import Tensors

/// NumPy's .npy format (versions 1–3): float, integer or bool values (read as Float32), little or big
/// endian, C or Fortran order; 2-D (H×W) or 3-D (C×H×W) as an image, any
/// rank for a model's tensors.
public enum NPYCodec {
    public static func decode(_ bytes: [UInt8], path: String, imageShape: Bool = true) throws -> Tensor {
        func fail(_ why: String) -> CodecError { CodecError(path, "NPY: \(why)") }
        guard bytes.count >= 10 else { throw fail("truncated header") }
        guard bytes.starts(with: [0x93] + Array("NUMPY".utf8)) else { throw fail("no \\x93NUMPY magic string") }
        let (major, minor) = (bytes[6], bytes[7])
        guard (1...3).contains(major), minor == 0 else {
            throw fail("unsupported format version \(major).\(minor) (numpy reads 1.0, 2.0 and 3.0)")
        }
        let start = major == 1 ? 10 : 12
        guard bytes.count >= start else { throw fail("truncated header") }
        let headerLength = (0..<(start - 8)).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        guard bytes.count - start >= headerLength else { throw fail("truncated header") }
        let header = try NPYHeader(bytes[start..<(start + headerLength)], headerStart: start, fail: fail)
        let (descr, fortran, shape) = (header.descr, header.fortranOrder, header.shape)
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
        guard !imageShape || shape.count == 2 || shape.count == 3 else {
            throw fail("shape \(shapeText) is not H×W or C×H×W")
        }
        // '<f4' and the like: byte order, kind (float, signed, unsigned, bool) and size in bytes.
        let kinds: [String: [Int]] = ["f": [4, 8], "i": [1, 2, 4, 8], "u": [1, 2, 4, 8], "b": [1]]
        let order = descr.first, kind = String(descr.dropFirst().prefix(1)), size = Int(descr.dropFirst(2)) ?? 0
        guard let order, "<>=|".contains(order), kinds[kind]?.contains(size) == true else {
            throw fail("dtype '\(Excerpt.quote(descr))' is not a float, integer or bool type")
        }
        let big = order == ">" && size > 1
        var (count, overflow) = (1, false)
        for d in shape { (count, overflow) = count.multipliedReportingOverflow(by: d); if overflow { break } }
        let dataStart = start + headerLength
        guard !overflow, count <= (bytes.count - dataStart) / size, bytes.count - dataStart == count * size else {
            let need = overflow ? "more than \(Int.max)" : "\(count * size)"
            throw fail("data holds \(bytes.count - dataStart) bytes, shape \(shapeText) needs \(need)")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            /// The value's bits in host order, widened to 64.
            func bits(_ o: Int) -> UInt64 {
                switch size {
                case 1: return UInt64(raw[o])
                case 2: let v = raw.loadUnaligned(fromByteOffset: o, as: UInt16.self)
                        return UInt64(big ? v.byteSwapped : v)
                case 4: let v = raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)
                        return UInt64(big ? v.byteSwapped : v)
                default: let v = raw.loadUnaligned(fromByteOffset: o, as: UInt64.self); return big ? v.byteSwapped : v
                }
            }
            for i in 0..<count {
                let b = bits(dataStart + i * size)
                switch (kind, size) {
                case ("f", 4): values[i] = Float(bitPattern: UInt32(b))
                case ("f", _): values[i] = Float(Double(bitPattern: b))
                case ("i", _):  // sign-extended from the top bit of its size
                    let shift = UInt64(64 - 8 * size)
                    values[i] = Float(Int64(bitPattern: b << shift) >> Int64(shift))
                case ("b", _): values[i] = b != 0 ? 1 : 0
                default: values[i] = Float(b)
                }
            }
        }
        if fortran && shape.count > 1 { values = transposeFromFortran(values, shape: shape) }
        return Tensor(shape: shape, values: values)
    }

    /// Fortran order stores the first index fastest; reorder to C order.
    static func transposeFromFortran(_ v: [Float], shape: [Int]) -> [Float] {
        var out = v
        let n = shape.count
        var strides = [Int](repeating: 1, count: n)
        for i in 1..<n { strides[i] = strides[i - 1] * shape[i - 1] }
        var index = [Int](repeating: 0, count: n)
        for c in 0..<v.count {
            out[c] = v[zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }]
            var k = n - 1
            while k >= 0 { index[k] += 1; if index[k] < shape[k] { break }; index[k] = 0; k -= 1 }
        }
        return out
    }

    /// Version 1.0, little-endian float32, C order.
    public static func encode(_ t: Tensor) -> [UInt8] {
        let shape = t.shape.count == 1 ? "(\(t.shape[0]),)" : "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        // Pad so the data starts on a 64-byte boundary, ending with a newline.
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = header.utf8.count
        out += [UInt8(n & 0xFF), UInt8(n >> 8)]
        out += Array(header.utf8)
        t.storage.withUnsafeBytes { out += $0 }
        return out
    }
}
