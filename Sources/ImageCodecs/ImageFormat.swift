/// File formats cnnfilter reads and writes.
public enum ImageFormat: String, CaseIterable, Sendable {
    case png, jpeg, ppm, pgm, npy, txt

    /// The format of some bytes, from their magic numbers; text when the bytes
    /// look like a text matrix. The file name's extension is never consulted.
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x93] + Array("NUMPY".utf8)) { return .npy }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(bytes[1]) {
            return bytes[1] == UInt8(ascii: "3") || bytes[1] == UInt8(ascii: "6") ? .ppm : .pgm
        }
        let head = bytes.prefix(4096)
        if !head.isEmpty, head.allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || (32..<127).contains($0) }) { return .txt }
        return nil
    }

    /// The format an output file name asks for, by its extension.
    public static func fromExtension(of path: String) -> ImageFormat? {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        switch path[path.index(after: dot)...].lowercased() {
        case "png": return .png
        case "jpg", "jpeg", "jpe": return .jpeg
        case "ppm", "pnm": return .ppm
        case "pgm", "pbm": return .pgm
        case "npy": return .npy
        case "txt", "mat", "csv": return .txt
        default: return nil
        }
    }

    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    /// Formats that hold pixels rather than exact numbers.
    public var isImage: Bool { self != .npy && self != .txt }
}
