import CCodecs
import Foundation

/// PNG and JPEG through the C layer over libpng and libjpeg.
enum LibCodecs {
    /// Decodes a whole PNG or JPEG; the Exif payload comes along for JPEGs.
    static func decode(_ bytes: [UInt8], format: ImageFormat, path: String) throws -> (RasterImage, exif: [UInt8]?) {
        var raster = cc_raster()
        var err = [CChar](repeating: 0, count: 512)
        let status = bytes.withUnsafeBufferPointer { buf in
            format == .png ? cc_png_decode(buf.baseAddress, buf.count, &raster, &err, err.count)
                           : cc_jpeg_decode(buf.baseAddress, buf.count, &raster, &err, err.count)
        }
        guard status == 0 else {
            let reason = String(cString: err)
            throw CodecError(path, "\(format == .png ? "PNG" : "JPEG"): \(reason.isEmpty ? "cannot decode" : reason)")
        }
        var exif: [UInt8]? = nil
        if let e = raster.exif {
            exif = Array(UnsafeBufferPointer(start: e, count: raster.exif_size))
            cc_free(e)
        }
        let channels = Int(raster.channels), depth = Int(raster.bit_depth)
        let count = Int(raster.width) * Int(raster.height) * channels * depth / 8
        let image = RasterImage(width: Int(raster.width), height: Int(raster.height), channels: channels,
                                bitDepth: depth, hasAlpha: channels == 2 || channels == 4,
                                samples: SampleBuffer(adopting: UnsafeMutableRawPointer(raster.data), count: count))
        return (image, exif)
    }

    /// Encodes rows as they become ready (`rowsReady`), in steps of 64 rows,
    /// reporting the rows it is done with (`rowsConsumed`).
    static func encodeJPEG(_ image: RasterImage, to file: UnsafeMutablePointer<FILE>, quality: Int, path: String,
                           rowsReady: RowProgress?, rowsConsumed: RowProgress?) throws {
        let err = Memory(count: 512)
        guard let w = cc_jpeg_writer_open(file, Int32(image.width), Int32(image.height), Int32(image.channels),
                                          Int32(quality), err.chars, err.count) else {
            throw CodecError(path, "JPEG: \(String(cString: err.chars))")
        }
        defer { cc_jpeg_writer_close(w) }
        var y = 0
        while y < image.height {
            let n = min(JPEGStep.rows, image.height - y)
            try rowsReady?.wait(for: y + n)
            for row in y..<(y + n) {
                guard cc_jpeg_write_rows(w, image.rowPointer(row).assumingMemoryBound(to: UInt8.self), 1) == 0 else {
                    throw CodecError(path, "JPEG: \(String(cString: err.chars))")
                }
            }
            y += n
            rowsConsumed?.advance(to: y)
        }
        guard cc_jpeg_writer_finish(w) == 0 else { throw CodecError(path, "JPEG: \(String(cString: err.chars))") }
    }
}

enum JPEGStep {
    /// Rows the JPEG encoder waits for at a time.
    static let rows = 64
}
