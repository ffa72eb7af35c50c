import CCodecs
import Foundation

/// PNG and JPEG through the C layer over libpng and libjpeg.
enum LibCodecs {
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

    static func encodePNG(_ image: RasterImage, to file: UnsafeMutablePointer<FILE>, level: Int, path: String) throws {
        var err = [CChar](repeating: 0, count: 512)
        let status = cc_png_encode(file, image.samples.bytes.assumingMemoryBound(to: UInt8.self),
                                   Int32(image.width), Int32(image.height), Int32(image.channels),
                                   Int32(image.bitDepth), Int32(level), &err, err.count)
        guard status == 0 else { throw CodecError(path, "PNG: \(String(cString: err))") }
    }

    static func encodeJPEG(_ image: RasterImage, to file: UnsafeMutablePointer<FILE>, quality: Int, path: String) throws {
        var err = [CChar](repeating: 0, count: 512)
        let status = cc_jpeg_encode(file, image.samples.bytes.assumingMemoryBound(to: UInt8.self),
                                    Int32(image.width), Int32(image.height), Int32(image.channels),
                                    Int32(quality), &err, err.count)
        guard status == 0 else { throw CodecError(path, "JPEG: \(String(cString: err))") }
    }
}
