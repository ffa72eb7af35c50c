import CCodecs
import Dispatch
import Foundation
import Tensors
import Convolution

/// Writes PNG with every core: the rows are cut into segments of about 1 MB,
/// each filtered and deflated on its own (C layer), and the segments are
/// written in order as one zlib stream. Segments are made one per core at a
/// time (a batch), so the memory in flight stays near cores × 2 segments.
enum PNGWriter {
    /// Rows of one segment of an image whose rows are `rowBytes` long.
    static func segmentRows(rowBytes: Int) -> Int { max(8, (1 << 20) / max(rowBytes, 1)) }
    /// Rows the writer waits for at a time.
    static func batchRows(rowBytes: Int) -> Int { segmentRows(rowBytes: rowBytes) * max(1, activeCores) }

    static func write(_ image: RasterImage, to file: UnsafeMutablePointer<FILE>, level: Int, path: String,
                      rowsReady: RowProgress? = nil, rowsConsumed: RowProgress? = nil) throws {
        let segmentRows = Self.segmentRows(rowBytes: image.rowBytes)
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
            ThreadLimit.perform(iterations: count) { i in
                let s = start + i
                let y0 = s * segmentRows, y1 = min(image.height, y0 + segmentRows)
                var seg = cc_png_segment()
                var err = [CChar](repeating: 0, count: 256)
                let rows: [UnsafePointer<UInt8>?] = (y0..<y1).map { UnsafePointer(image.rowPointer($0).assumingMemoryBound(to: UInt8.self)) }
                let above = y0 > 0 ? UnsafePointer(image.rowPointer(y0 - 1).assumingMemoryBound(to: UInt8.self)) : nil
                let rc = cc_png_compress_rows(rows, Int32(y1 - y0), above, Int32(image.width),
                                              Int32(image.channels), Int32(image.bitDepth),
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
            // The row above the next batch is still needed for its first filter.
            rowsConsumed?.advance(to: max(0, min(image.height, (start + count) * segmentRows) - 1))
        }
        rowsConsumed?.advance(to: image.height)
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
