import Foundation
import Testing
@testable import ImageCodecs

/// A PNG header declaring any size: signature, IHDR, one IDAT of a few bytes,
/// IEND, with their CRCs. Readers that check the size first never get to the data.
func pngHeader(width: UInt32, height: UInt32, colourType: UInt8 = 6, interlaced: Bool) -> [UInt8] {
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
    func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        be(UInt32(data.count)) + Array(type.utf8) + data + be(crc32(Array(type.utf8) + data))
    }
    let ihdr = be(width) + be(height) + [8, colourType, 0, 0, interlaced ? 1 : 0]
    // zlib header, then a final stored block of two zero bytes.
    let idat: [UInt8] = [0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, 0, 0]
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    return signature + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
}

/// Interlaced PNGs and EXIF-rotated JPEGs are decoded whole: their declared
/// sizes are checked against the budget (256 MiB unless CNNFILTER_WHOLE_MB
/// says otherwise) before any pixels are allocated.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CNNFILTER_WHOLE_MB"] == nil))
struct WholeDecodeBudgetTests {
    func file(_ bytes: [UInt8], _ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory
        let path = dir.appendingPathComponent("budget-\(UUID().uuidString.prefix(8))-\(name)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func openError(_ path: String, applyOrientation: Bool = true) -> String? {
        do {
            _ = try ImageReader.open(path: path, applyOrientation: applyOrientation)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aHugeInterlacedPNGIsRefusedFromItsHeader() throws {
        let path = try file(pngHeader(width: 12000, height: 12000, interlaced: true), "adam7.png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // 12000 · 12000 · 4 = 576 000 000 bytes = 549.3 MiB, rounded up.
        #expect(openError(path) == "\(path): interlaced PNG 12000×12000×4 at 8 bits is decoded whole "
                + "(Adam7): 550 MiB, over the 256 MiB limit (CNNFILTER_WHOLE_MB raises it)")
        // At the budget: 8192 · 8192 · 4 bytes = 256 MiB is allowed (then its few bytes of data run out).
        let fits = try file(pngHeader(width: 8192, height: 8192, interlaced: true), "fits.png")
        defer { try? FileManager.default.removeItem(atPath: fits) }
        #expect(openError(fits).map { !$0.contains("limit") && $0.contains("PNG") } == true, "\(openError(fits) ?? "")")
        // The same size without interlacing streams through a ring of rows: no whole-image budget.
        let plain = try file(pngHeader(width: 12000, height: 12000, interlaced: false), "plain.png")
        defer { try? FileManager.default.removeItem(atPath: plain) }
        guard case .streaming(let d) = try ImageReader.open(path: plain) else { Issue.record("not streamed"); return }
        #expect(d.width == 12000 && d.height == 12000 && d.channels == 4)
    }

    @Test func aHugeRotatedJPEGIsRefusedFromItsHeader() throws {
        let c = CodecCase.all.first { $0.orientation == 6 }!
        var jpeg = try c.bytes(c.file)
        // The frame header (SOF0 or SOF2): length, precision, then height and width, big-endian.
        var i = 2
        while i + 9 < jpeg.count, jpeg[i] == 0xFF, jpeg[i + 1] != 0xC0 && jpeg[i + 1] != 0xC2 {
            i += 2 + (Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3]))
        }
        try #require(jpeg[i] == 0xFF && (jpeg[i + 1] == 0xC0 || jpeg[i + 1] == 0xC2))
        jpeg.replaceSubrange((i + 5)..<(i + 9), with: [0x3A, 0x98, 0x4E, 0x20])  // 15000 high, 20000 wide
        let path = try file(jpeg, "rotated.jpg")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // 20000 · 15000 · 3 = 900 000 000 bytes = 858.3 MiB, rounded up.
        #expect(openError(path) == "\(path): JPEG 20000×15000×3 at 8 bits is decoded whole "
                + "(EXIF orientation 6): 859 MiB, over the 256 MiB limit "
                + "(--no-orient streams it; CNNFILTER_WHOLE_MB raises the limit)")
        #expect(openError(path, applyOrientation: false) == nil)
    }

    /// Small interlaced and rotated images still decode whole, as before.
    @Test func smallImagesStillDecodeWhole() throws {
        for name in ["rgb8-adam7.png", "rgb-orient6.jpg"] {
            let path = CodecCase.dir.appendingPathComponent(name).path
            guard case .decoded(.raster(let r)) = try ImageReader.open(path: path) else {
                Issue.record("\(name) not decoded whole"); continue
            }
            #expect(r.width > 0 && r.isWhole)
        }
    }
}
