import Foundation
import Testing
@testable import ImageCodecs
import Tensors

/// Files written by independent encoders (pypng, Pillow, numpy, hand-written
/// PNM) decode to the pixels those tools read back (scripts/make-fixtures.py).
struct CodecCase: Decodable, CustomTestStringConvertible, Sendable {
    let file: String, raw: String
    let width: Int?, height: Int?, channels: Int?, depth: Int
    let tolerance: Int
    let shape: [Int]?
    let orientation: Int?
    var testDescription: String { file }

    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/codecs")
    static let all: [CodecCase] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode([CodecCase].self, from: data)
    }()

    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: Self.dir.appendingPathComponent(name))) }

    /// Expected samples as integers (8 or 16 bit) or Float32 values.
    func expectedIntegers() throws -> [Int] {
        let b = try bytes(raw)
        return depth == 8 ? b.map(Int.init) : stride(from: 0, to: b.count, by: 2).map { Int(b[$0]) | Int(b[$0 + 1]) << 8 }
    }

    func expectedFloats() throws -> [Float] {
        let b = try bytes(raw)
        return stride(from: 0, to: b.count, by: 4).map { i in
            Float(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
        }
    }
}

func samples(_ r: RasterImage) -> [Int] {
    var out: [Int] = []
    for y in 0..<r.height { for x in 0..<r.width { for c in 0..<r.channels { out.append(r.sample(y, x, c)) } } }
    return out
}

@Suite struct CodecFixtureTests {
    @Test func manifestCoversEveryFormat() {
        let files = CodecCase.all.map(\.file)
        #expect(files.count >= 40)
        for ext in [".png", ".jpg", ".pbm", ".pgm", ".ppm", ".npy"] { #expect(files.contains { $0.hasSuffix(ext) }, "\(ext)") }
    }

    @Test(arguments: CodecCase.all)
    func decodesToTheReferencePixels(_ c: CodecCase) throws {
        let decoded = try ImageReader.decode(try c.bytes(c.file), path: c.file)
        switch decoded {
        case .tensor(let t):
            #expect(t.shape == c.shape)
            #expect(t.storage == (try c.expectedFloats()))
        case .raster(let r):
            #expect(r.width == c.width && r.height == c.height && r.channels == c.channels && r.bitDepth == c.depth)
            let got = samples(r), want = try c.expectedIntegers()
            #expect(got.count == want.count)
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= c.tolerance, "largest difference \(worst)")
            #expect(r.hasAlpha == (r.channels == 2 || r.channels == 4))
        }
    }

    @Test(arguments: CodecCase.all.filter { $0.file.hasSuffix(".png") || $0.file.hasSuffix(".pgm") || $0.file.hasSuffix(".ppm") })
    func losslessFormatsRoundTripExactly(_ c: CodecCase) throws {
        guard case .raster(let r) = try ImageReader.decode(try c.bytes(c.file), path: c.file) else { Issue.record("not a raster"); return }
        let dir = FileManager.default.temporaryDirectory
        let formats: [ImageFormat] = (r.channels == 1 || r.channels == 3) ? [.png, .pgm] : [.png]
        for f in formats {
            let path = dir.appendingPathComponent("roundtrip-\(getpid())-\(c.file).\(f.fileExtension)").path
            try ImageWriter.write(r, format: f, to: path)
            defer { unlink(path) }
            guard case .raster(let back) = try ImageReader.read(path: path) else { Issue.record("not a raster"); return }
            #expect(back.width == r.width && back.height == r.height && back.channels == r.channels && back.bitDepth == r.bitDepth)
            #expect(samples(back) == samples(r), "\(f)")
        }
    }

    @Test func npyAndTextRoundTripExactly() throws {
        let t = Tensor(shape: [2, 3, 4], values: (0..<24).map { Float($0) * 0.1 - 1 })
        let npy = try NPYCodec.decode(NPYCodec.encode(t), path: "x")
        #expect(npy == t)
        let text = try TextMatrix.decode(TextMatrix.encode(t), path: "x")
        #expect(text == t)
    }

    @Test func jpegRoundTripIsCloseAtHighQuality() throws {
        let c = CodecCase.all.first { $0.file == "rgb-q90.jpg" }!
        guard case .raster(let r) = try ImageReader.decode(try c.bytes(c.file), path: c.file) else { return }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(getpid()).jpg").path
        try ImageWriter.write(r, format: .jpeg, to: path, options: EncodeOptions(jpegQuality: 98))
        defer { unlink(path) }
        guard case .raster(let back) = try ImageReader.read(path: path) else { return }
        let diffs = zip(samples(back), samples(r)).map { abs($0 - $1) }
        #expect(Double(diffs.reduce(0, +)) / Double(diffs.count) < 2)
    }

    @Test func orientationCanBeIgnored() throws {
        let c = CodecCase.all.first { $0.orientation == 6 }!
        guard case .raster(let r) = try ImageReader.decode(try c.bytes(c.file), path: c.file, applyOrientation: false) else { return }
        #expect(r.width == c.height && r.height == c.width)
    }

    @Test func malformedHeadersAreRejectedBeforeAllocation() {
        let cases: [(String, [UInt8], String)] = [
            ("huge.pgm", Array("P5\n100000 100000\n255\n".utf8) + [1, 2, 3], "truncated"),
            ("neg.pgm", Array("P2\n-3 2\n255\n".utf8), "expected width"),
            ("max.pgm", Array("P2\n1 1\n70000\n1".utf8), "maxval"),
            ("short.npy", [0x93] + Array("NUMPY".utf8) + [1, 0, 200, 0] + Array("{'descr'".utf8), "truncated header"),
            ("big.npy", npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", data: 16), "needs"),
            ("complex.npy", npy(header: "{'descr': '<c8', 'fortran_order': False, 'shape': (2, 2), }", data: 32),
             "not a float, integer or bool type"),
            ("ragged.txt", Array("1 2\n3\n".utf8), "ragged"),
            ("word.txt", Array("1 2\n3 x\n".utf8), "'x' is not a number"),
        ]
        for (name, bytes, reason) in cases {
            do {
                _ = try ImageReader.decode(bytes, path: name)
                Issue.record("\(name) decoded")
            } catch {
                #expect("\(error)".hasPrefix(name) && "\(error)".contains(reason), "\(error)")
            }
        }
    }

    /// Integer and bool arrays (labels, indices, masks) read as their values; the bytes are written here by hand.
    @Test func integerArraysDecodeToTheirValues() throws {
        func header(_ descr: String) -> String { "{'descr': '\(descr)', 'fortran_order': False, 'shape': (4,), }" }
        let i64: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
            + [UInt8](repeating: 0, count: 16)
        let cases: [(String, [UInt8], [Float])] = [
            ("<i8", i64, [1, -2, 0, 0]),
            (">i2", [0, 7, 0xff, 0xf9, 0x7f, 0xff, 0x80, 0], [7, -7, 32767, -32768]),
            ("|u1", [0, 1, 200, 255], [0, 1, 200, 255]),
            ("|b1", [0, 1, 0, 1], [0, 1, 0, 1]),
        ]
        for (descr, data, want) in cases {
            let h = header(descr)
            let bytes = npyFile(h, data: data)
            #expect(try NPYCodec.decode(bytes, path: "x.npy", imageShape: false).storage == want, "\(descr)")
        }
    }

    func npy(header: String, data: Int) -> [UInt8] { npyFile(header, data: [UInt8](repeating: 0, count: data)) }
}
