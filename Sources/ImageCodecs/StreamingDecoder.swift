import CCodecs
import Foundation

/// Decodes a PNG or JPEG row by row on its own thread into a raster (whole,
/// or a ring of rows), so that filtering starts on the first rows while the
/// rest are still being decoded, and the compressed file is read as it goes.
/// Interlaced PNGs and JPEGs that must be turned upright are decoded whole
/// instead (`ImageReader.open` decides), within `DecodeBudget.wholeImageBytes`.
public final class StreamingDecoder: @unchecked Sendable {
    public let path: String
    public let width: Int, height: Int, channels: Int, bitDepth: Int
    private let format: ImageFormat
    /// What the C reader reads from (kept alive as long as it), and its
    /// error buffer.
    private let input: Input
    private let err = Memory(count: 512)
    private var png: OpaquePointer?
    private var jpeg: OpaquePointer?

    enum Input {
        case memory(Memory)
        case file(OwnedFile)
    }

    /// Rows decoded per step, between progress reports.
    public static let rowsPerStep = 16

    /// Nil when the image cannot be decoded row by row. A file handle is
    /// owned (and closed) by the decoder from here on.
    init?(input: Input, format: ImageFormat, path: String, applyOrientation: Bool) throws {
        self.path = path
        self.format = format
        self.input = input
        var header = cc_raster()
        var bytes: UnsafePointer<UInt8>? = nil, count = 0, file: UnsafeMutablePointer<FILE>? = nil
        switch input {
        case .memory(let m): bytes = UnsafePointer(m.pointer); count = m.count
        case .file(let f): file = f.handle
        }
        if format == .png {
            png = cc_png_open(bytes, count, file, &header, err.chars, err.count)
        } else {
            jpeg = cc_jpeg_open(bytes, count, file, &header, err.chars, err.count)
        }
        defer { if let e = header.exif { cc_free(e) } }
        guard png != nil || jpeg != nil else {
            throw CodecError(path, "\(format == .png ? "PNG" : "JPEG"): \(String(cString: err.chars))")
        }
        width = Int(header.width); height = Int(header.height)
        channels = Int(header.channels); bitDepth = Int(header.bit_depth)
        if let png, cc_png_is_interlaced(png) != 0 {
            try DecodeBudget.checkWhole(width: width, height: height, channels: channels, bitDepth: bitDepth,
                                        path: path, what: "interlaced PNG", why: "Adam7",
                                        hint: "CNNFILTER_WHOLE_MB raises it")
            return nil
        }
        if applyOrientation, let e = header.exif,
           let o = ExifOrientation.read(Array(UnsafeBufferPointer(start: e, count: header.exif_size))), o != 1 {
            try DecodeBudget.checkWhole(width: width, height: height, channels: channels, bitDepth: bitDepth,
                                        path: path, what: "JPEG", why: "EXIF orientation \(o)",
                                        hint: "--no-orient streams it; CNNFILTER_WHOLE_MB raises the limit")
            return nil
        }
    }

    deinit { close() }

    private func close() {
        if let png { cc_png_close(png); self.png = nil }
        if let jpeg { cc_jpeg_close(jpeg); self.jpeg = nil }
    }

    public var hasAlpha: Bool { channels == 2 || channels == 4 }

    /// An empty raster of the decoded image's size, holding `rowCapacity`
    /// rows at a time (all of them by default).
    public func makeRaster(rowCapacity: Int? = nil) -> RasterImage {
        RasterImage(width: width, height: height, channels: channels, bitDepth: bitDepth, hasAlpha: hasAlpha,
                    rowCapacity: rowCapacity)
    }

    /// Decodes every row into `image`, reporting progress; runs on the calling
    /// thread. With a ring raster, waits before overwriting a row until
    /// `released` says no one needs it any more.
    public func decode(into image: RasterImage, progress: RowProgress, released: RowProgress? = nil) {
        var y = 0
        while y < height {
            // A step stops at the ring's end, so its rows are contiguous.
            let n = min(Self.rowsPerStep, height - y, image.rowCapacity - y % image.rowCapacity)
            if y + n > image.rowCapacity {
                do { try released?.wait(for: y + n - image.rowCapacity) } catch { return close() }
            }
            let dst = image.rowPointer(y).assumingMemoryBound(to: UInt8.self)
            let rc = png != nil ? cc_png_read_rows(png, dst, Int32(n)) : cc_jpeg_read_rows(jpeg, dst, Int32(n))
            guard rc == 0 else { return failed(progress) }
            y += n
            // The last rows count only once the file's end checks out.
            if y < height { progress.advance(to: y) }
        }
        let rc = png != nil ? cc_png_finish(png) : cc_jpeg_finish(jpeg)
        guard rc == 0 else { return failed(progress) }
        close()
        progress.advance(to: height)
    }

    /// Starts `decode(into:progress:released:)` on a thread of its own.
    public func start(into image: RasterImage, progress: RowProgress, released: RowProgress? = nil) {
        Thread { self.decode(into: image, progress: progress, released: released) }.start()
    }

    private func failed(_ progress: RowProgress) {
        progress.fail(CodecError(path, "\(format == .png ? "PNG" : "JPEG"): \(String(cString: err.chars))"))
        close()
    }
}

/// A C file handle closed when the last owner lets go.
final class OwnedFile: @unchecked Sendable {
    let handle: UnsafeMutablePointer<FILE>
    init(_ handle: UnsafeMutablePointer<FILE>) { self.handle = handle }
    deinit { fclose(handle) }
}

/// A fixed block of bytes with a stable address.
final class Memory: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    let count: Int
    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer[0] = 0
    }
    convenience init(copying source: [UInt8]) {
        self.init(count: source.count)
        source.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: source.count) }
    }
    var chars: UnsafeMutablePointer<CChar> { UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: CChar.self) }
    deinit { pointer.deallocate() }
}
