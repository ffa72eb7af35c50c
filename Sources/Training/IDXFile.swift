import CCodecs
import Foundation

/// The IDX format of MNIST and Fashion-MNIST: a magic number whose third byte
/// is the element type (0x08 = unsigned byte) and fourth the number of
/// dimensions, the dimensions as big-endian 32-bit integers, then the values.
/// Files may be gzipped.
public enum IDXFile {
    public struct Contents {
        public var dimensions: [Int]
        public var bytes: [UInt8]
    }

    /// Larger than any IDX data set we expect; refuses a file claiming more before allocating.
    static let limit = 2 << 30

    public static func read(_ path: String) throws -> Contents {
        var length = 0
        var message = [CChar](repeating: 0, count: 256)
        guard let raw = cc_read_gzip(path, limit, &length, &message, message.count) else {
            throw TrainingError("\(path): \(String(cString: message))")
        }
        defer { cc_free(raw) }
        return try parse(Array(UnsafeBufferPointer(start: raw, count: length)), path: path)
    }

    static func parse(_ b: [UInt8], path: String) throws -> Contents {
        guard b.count >= 4, b[0] == 0, b[1] == 0 else { throw TrainingError("\(path): not an IDX file (bad magic number)") }
        guard b[2] == 0x08 else { throw TrainingError("\(path): IDX element type 0x\(String(b[2], radix: 16)) is not supported (only unsigned bytes, 0x08)") }
        let rank = Int(b[3])
        guard (1...4).contains(rank), b.count >= 4 + 4 * rank else { throw TrainingError("\(path): truncated IDX header") }
        let dims = (0..<rank).map { d in (0..<4).reduce(0) { $0 << 8 | Int(b[4 + 4 * d + $1]) } }
        var total = 1
        for d in dims {
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= limit else { throw TrainingError("\(path): IDX dimensions \(dims) are absurd") }
            total = product
        }
        let start = 4 + 4 * rank
        guard b.count - start == total else {
            throw TrainingError("\(path): IDX header promises \(dims.map(String.init).joined(separator: "×")) = \(total) values, the file holds \(b.count - start)")
        }
        return Contents(dimensions: dims, bytes: Array(b[start...]))
    }
}
