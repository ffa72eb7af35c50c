import Foundation
import Tensors

/// What an input file holds: pixels (PNG, JPEG, PNM) or exact numbers (NPY, text).
public enum DecodedInput: Sendable {
    case raster(RasterImage)
    case tensor(Tensor)
}

public enum ImageReader {
    /// Reads a file (or standard input for "-") and decodes it by its content.
    /// `applyOrientation` turns JPEGs upright by their EXIF orientation.
    public static func read(path: String, applyOrientation: Bool = true) throws -> DecodedInput {
        let bytes = try readBytes(path)
        return try decode(bytes, path: path, applyOrientation: applyOrientation)
    }

    public static func decode(_ bytes: [UInt8], path: String, applyOrientation: Bool = true) throws -> DecodedInput {
        guard !bytes.isEmpty else { throw CodecError(path, "empty file") }
        guard let format = ImageFormat.sniff(bytes) else {
            throw CodecError(path, "unknown format: not a PNG, JPEG, PNM, NPY file or a text matrix")
        }
        switch format {
        case .png, .jpeg:
            let (image, exif) = try LibCodecs.decode(bytes, format: format, path: path)
            if applyOrientation, let exif, let o = ExifOrientation.read(exif) {
                return .raster(ExifOrientation.apply(o, to: image))
            }
            return .raster(image)
        case .ppm, .pgm:
            return .raster(try PNMCodec.decode(bytes, path: path))
        case .npy:
            return .tensor(try NPYCodec.decode(bytes, path: path))
        case .txt:
            return .tensor(try TextMatrix.decode(bytes: bytes, path: path))
        }
    }

    /// The bytes of a file, or of standard input for "-".
    public static func readBytes(_ path: String) throws -> [UInt8] {
        if path == "-" {
            return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CodecError(path, "no such file")
        }
        guard !isDir.boolValue else { throw CodecError(path, "is a directory, not an image") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CodecError(path, "cannot read the file (permission denied?)")
        }
        return [UInt8](data)
    }
}

/// An input ready to filter: decoded already, or decodable row by row.
public enum ImageSource {
    case decoded(DecodedInput)
    case streaming(StreamingDecoder)
}

extension ImageReader {
    /// Opens a file for filtering: PNGs and JPEGs that can be decoded row by
    /// row come back as a `StreamingDecoder` (header read, rows not yet);
    /// everything else is decoded at once.
    public static func open(path: String, applyOrientation: Bool = true) throws -> ImageSource {
        // A PNG or JPEG file is read as it is decoded: the compressed bytes
        // are never all in memory at once.
        if path != "-", let handle = fopen(path, "rb") {
            let file = OwnedFile(handle)
            var magic = [UInt8](repeating: 0, count: 4)
            if fread(&magic, 1, 4, handle) == 4, let format = ImageFormat.sniff(magic), format == .png || format == .jpeg,
               fseek(handle, 0, SEEK_SET) == 0,
               let decoder = try StreamingDecoder(input: .file(file), format: format, path: path, applyOrientation: applyOrientation) {
                return .streaming(decoder)
            }
        }
        let bytes = try readBytes(path)
        if let format = ImageFormat.sniff(bytes), format == .png || format == .jpeg,
           let decoder = try StreamingDecoder(input: .memory(Memory(copying: bytes)), format: format, path: path,
                                              applyOrientation: applyOrientation) {
            return .streaming(decoder)
        }
        return .decoded(try decode(bytes, path: path, applyOrientation: applyOrientation))
    }
}
