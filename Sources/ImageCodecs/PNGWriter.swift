import CCodecs
import Dispatch
import Foundation
import Convolution

/// Writes PNG with every core: the rows are cut into segments of about 4 MB,
/// each filtered and deflated on its own (C layer), and the segments are
/// written in order as one zlib stream. Segments are made a few at a time, so
/// the memory in flight stays near cores × 2 segments.
enum PNGWriter {
    static func write(_ image: RasterImage, to file: UnsafeMutablePointer<FILE>, level: Int, path: String,
                      rowsReady: RowProgress? = nil) throws {
        let rowBytes = image.width * image.channels * image.bitDepth / 8
        let segmentRows = max(1, (4 << 20) / max(rowBytes, 1))
        let segments = (image.height + segmentRows - 1) / segmentRows
        guard cc_png_write_header(file, Int32(image.width), Int32(image.height), Int32(image.channels), Int32(image.bitDepth)) == 0 else {
            throw CodecError(path, "write error")
        }
        var adler: UInt = 1
        var first = true
        let batch = max(1, activeCores)
        for start in stride(from: 0, to: segments, by: batch) {
            let count = min(batch, segments - start)
            try rowsReady?.wait(for: min(image.height, (start + count) * segmentRows))
            let results = SegmentResults(count: count)
            DispatchQueue.concurrentPerform(iterations: count) { i in
                let s = start + i
                let y0 = s * segmentRows, y1 = min(image.height, y0 + segmentRows)
                var seg = cc_png_segment()
                var err = [CChar](repeating: 0, count: 256)
                let rc = cc_png_compress_rows(image.samples.bytes.assumingMemoryBound(to: UInt8.self), Int32(image.width),
                                              Int32(image.channels), Int32(image.bitDepth), Int32(y0), Int32(y1),
                                              Int32(level), s == segments - 1 ? 1 : 0, &seg, &err, err.count)
                results.set(i, rc == 0 ? .success(seg) : .failure(CodecError(path, "PNG: \(String(cString: err))")))
            }
            defer { results.freeAll() }
            for i in 0..<count {
                let seg = try results.get(i)
                var chunk = [UInt8]()
                chunk.reserveCapacity(seg.size + 6)
                if first { chunk += [0x78, 0x01]; first = false } // zlib header: deflate, 32K window
                chunk += UnsafeBufferPointer(start: seg.data, count: seg.size)
                adler = cc_adler32_combine(adler, seg.adler, seg.raw_size)
                if start + i == segments - 1 {
                    chunk += [UInt8(adler >> 24 & 0xFF), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
                }
                guard cc_png_write_chunk(file, "IDAT", chunk, chunk.count) == 0 else { throw CodecError(path, "write error") }
            }
        }
        guard cc_png_write_chunk(file, "IEND", nil, 0) == 0 else { throw CodecError(path, "write error") }
    }
}

/// Per-segment results filled from several threads.
private final class SegmentResults: @unchecked Sendable {
    private var slots: UnsafeMutableBufferPointer<Result<cc_png_segment, CodecError>?>
    init(count: Int) { slots = .allocate(capacity: count); slots.initialize(repeating: nil) }
    func set(_ i: Int, _ r: Result<cc_png_segment, CodecError>) { slots[i] = r }
    func get(_ i: Int) throws -> cc_png_segment { try slots[i]!.get() }
    func freeAll() {
        for case .success(let s)? in slots { cc_free(s.data) }
        slots.deinitialize(); slots.deallocate()
    }
}
