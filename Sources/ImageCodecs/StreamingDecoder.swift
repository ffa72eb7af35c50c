import CCodecs
import Foundation

/// Decodes a PNG or JPEG row by row on its own thread into a raster, so that
/// filtering can start on the first rows while the rest are still being
/// decoded. Interlaced PNGs and JPEGs that must be turned upright are decoded
/// whole instead (`ImageReader.open` decides).
public final class StreamingDecoder: @unchecked Sendable {
    public let path: String
    public let width: Int, height: Int, channels: Int, bitDepth: Int
    private let format: ImageFormat
    /// The file's bytes and the error buffer, which the C reader points into
    /// for as long as it lives.
    private let bytes: Memory
    private let err = Memory(count: 512)
    private var png: OpaquePointer?
    private var jpeg: OpaquePointer?

    /// Rows decoded per step, between progress reports.
    static let rowsPerStep = 16

    /// Nil when the image cannot be decoded row by row.
    init?(bytes: Memory, format: ImageFormat, path: String, applyOrientation: Bool) throws {
        self.path = path
        self.format = format
        self.bytes = bytes
        var header = cc_raster()
        if format == .png {
            png = cc_png_open(bytes.pointer, bytes.count, &header, err.chars, err.count)
        } else {
            jpeg = cc_jpeg_open(bytes.pointer, bytes.count, &header, err.chars, err.count)
        }
        defer { if let e = header.exif { cc_free(e) } }
        guard png != nil || jpeg != nil else {
            throw CodecError(path, "\(format == .png ? "PNG" : "JPEG"): \(String(cString: err.chars))")
        }
        width = Int(header.width); height = Int(header.height)
        channels = Int(header.channels); bitDepth = Int(header.bit_depth)
        if let png, cc_png_is_interlaced(png) != 0 { return nil }
        if applyOrientation, let e = header.exif,
           let o = ExifOrientation.read(Array(UnsafeBufferPointer(start: e, count: header.exif_size))), o != 1 {
            return nil
        }
    }

    deinit { close() }

    private func close() {
        if let png { cc_png_close(png); self.png = nil }
        if let jpeg { cc_jpeg_close(jpeg); self.jpeg = nil }
    }

    public var hasAlpha: Bool { channels == 2 || channels == 4 }

    /// An empty raster of the decoded image's size, for `decode(into:)`.
    public func makeRaster() -> RasterImage {
        RasterImage(width: width, height: height, channels: channels, bitDepth: bitDepth, hasAlpha: hasAlpha)
    }

    /// Decodes every row into `image`, reporting progress; runs on the calling thread.
    public func decode(into image: RasterImage, progress: RowProgress) {
        let rowBytes = width * channels * bitDepth / 8
        var y = 0
        while y < height {
            let n = min(Self.rowsPerStep, height - y)
            let dst = image.samples.bytes.advanced(by: y * rowBytes).assumingMemoryBound(to: UInt8.self)
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

    /// Starts `decode(into:progress:)` on a thread of its own.
    public func start(into image: RasterImage, progress: RowProgress) {
        Thread { self.decode(into: image, progress: progress) }.start()
    }

    private func failed(_ progress: RowProgress) {
        progress.fail(CodecError(path, "\(format == .png ? "PNG" : "JPEG"): \(String(cString: err.chars))"))
        close()
    }
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
    /// A whole file; nil when it cannot be opened or read.
    convenience init?(contentsOf path: String) {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var st = stat()
        guard fstat(fileno(f), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        self.init(count: Int(st.st_size))
        guard fread(pointer, 1, count, f) == count else { return nil }
    }
    var chars: UnsafeMutablePointer<CChar> { UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: CChar.self) }
    func prefix(_ n: Int) -> [UInt8] { Array(UnsafeBufferPointer(start: pointer, count: min(n, count))) }
    deinit { pointer.deallocate() }
}
