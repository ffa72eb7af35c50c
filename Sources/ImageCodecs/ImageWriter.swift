import Foundation
import Tensors

/// Encoder settings that apply to pixel formats.
public struct EncodeOptions: Sendable {
    /// JPEG quality, 1...100.
    public var jpegQuality = 90
    /// zlib level for PNG, 0...9.
    public var pngLevel = 6
    public init(jpegQuality: Int = 90, pngLevel: Int = 6) {
        self.jpegQuality = jpegQuality; self.pngLevel = pngLevel
    }
}

public enum ImageWriter {
    /// Writes pixels as PNG, JPEG or PNM ("-" for standard output). With
    /// `rowsReady`, rows are encoded as another thread completes them, and
    /// `rowsConsumed` says which rows the encoder no longer needs (so a ring
    /// raster can take new ones). PNG and JPEG stream; the others need the
    /// whole image (`streams(format:)`).
    public static func write(_ image: RasterImage, format: ImageFormat, to path: String, options: EncodeOptions = .init(),
                             rowsReady: RowProgress? = nil, rowsConsumed: RowProgress? = nil) throws {
        switch format {
        case .png:
            try OutputFile.write(path) {
                try PNGWriter.write(image, to: $0, level: options.pngLevel, path: path, rowsReady: rowsReady, rowsConsumed: rowsConsumed)
            }
        case .jpeg:
            guard image.bitDepth == 8 else { throw CodecError(path, "JPEG holds 8-bit samples only") }
            try OutputFile.write(path) {
                try LibCodecs.encodeJPEG(image, to: $0, quality: options.jpegQuality, path: path, rowsReady: rowsReady,
                                         rowsConsumed: rowsConsumed)
            }
        case .ppm, .pgm:
            guard image.channels == 1 || image.channels == 3 else {
                throw CodecError(path, "PNM holds 1 or 3 channels, not \(image.channels)")
            }
            try rowsReady?.wait(for: image.height)
            try OutputFile.write(path, bytes: PNMCodec.encode(image))
        case .npy, .txt:
            try rowsReady?.wait(for: image.height)
            try write(image.tensor(), format: format, to: path)
        }
    }

    /// Whether the encoder of `format` works through the rows in order, and how
    /// many rows past the last one it released it may wait for at once.
    public static func streamingWindow(format: ImageFormat, rowBytes: Int) -> Int? {
        switch format {
        case .png: return PNGWriter.batchRows(rowBytes: rowBytes) + 1
        case .jpeg: return JPEGStep.rows
        default: return nil
        }
    }

    /// Writes exact numbers as NPY or a text matrix.
    public static func write(_ tensor: Tensor, format: ImageFormat, to path: String) throws {
        switch format {
        case .npy: try OutputFile.write(path, bytes: NPYCodec.encode(tensor))
        case .txt: try OutputFile.write(path, bytes: Array(TextMatrix.encode(tensor).utf8))
        default: preconditionFailure("\(format) holds pixels; map the tensor to a RasterImage first")
        }
    }
}
