import Foundation
import Testing

/// Images whose headers promise more than the whole-image budget: refused in
/// one line before any pixel buffer exists, with nothing written.
@Suite struct HostileImageCLITests {
    /// A 12000×12000 RGBA Adam7 PNG header (IHDR with its CRC), one IDAT of a few bytes, IEND.
    static let hugeInterlacedPNG: [UInt8] = {
        func crc32(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            return ~c
        }
        func be(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(v >> $0 & 0xFF) } }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            be(UInt32(data.count)) + Array(type.utf8) + data + be(crc32(Array(type.utf8) + data))
        }
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        return signature + chunk("IHDR", be(12000) + be(12000) + [8, 6, 0, 0, 1])
            + chunk("IDAT", [0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, 0, 0]) + chunk("IEND", [])
    }()

    func expectRefusal(_ r: CLI.Result, naming: String, reason: String, dir: URL,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(r.status == 1, "exit status", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("cnnfilter: \(naming): ") && r.stderr.contains(reason), "\(r.stderr)",
                sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.count <= 300, "\(r.stderr)",
                sourceLocation: sourceLocation)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix("in") }
        #expect(left.isEmpty, "no output left behind: \(left)", sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["CNNFILTER_WHOLE_MB"] == nil))
    func aHugeInterlacedPNGIsRefused() throws {
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in.png").path
        try Data(Self.hugeInterlacedPNG).write(to: URL(fileURLWithPath: input))
        let reason = "interlaced PNG 12000×12000×4 at 8 bits is decoded whole (Adam7): 550 MiB, over the 256 MiB limit"
        for out in ["out.png", "out.jpg", "out.npy"] {
            let r = try CLI.run([input, "--kernel", "laplacian", "-o", dir.appendingPathComponent(out).path])
            try expectRefusal(r, naming: input, reason: reason, dir: dir)
        }
        // From standard input, and to standard output.
        let piped = try CLI.run(["-", "--kernel", "laplacian"], stdin: Data(Self.hugeInterlacedPNG), cwd: dir)
        try expectRefusal(piped, naming: "-", reason: reason, dir: dir)
    }

    /// The budget is CNNFILTER_WHOLE_MB: at 0 even the 17×11 interlaced fixture is refused, which decodes without it.
    @Test func theBudgetComesFromTheEnvironment() throws {
        let dir = try CLI.tempDir()
        let fixture = CLI.repo.appendingPathComponent("Tests/ImageCodecsTests/Fixtures/codecs/rgb8-adam7.png").path
        let out = dir.appendingPathComponent("out.png").path
        let refused = try CLI.run([fixture, "--kernel", "identity", "-o", out], env: ["CNNFILTER_WHOLE_MB": "0"])
        try expectRefusal(refused, naming: fixture, reason: "interlaced PNG 17×11×3 at 8 bits is decoded whole",
                          dir: dir)
        let rotated = CLI.repo.appendingPathComponent("Tests/ImageCodecsTests/Fixtures/codecs/rgb-orient6.jpg").path
        let jpeg = try CLI.run([rotated, "--kernel", "identity", "-o", out], env: ["CNNFILTER_WHOLE_MB": "0"])
        try expectRefusal(jpeg, naming: rotated, reason: "(--no-orient streams it;", dir: dir)
        let upright = try CLI.run([rotated, "--no-orient", "--kernel", "identity", "-o", out],
                                  env: ["CNNFILTER_WHOLE_MB": "0"])
        #expect(upright.status == 0, "\(upright.stderr)")
        let ok = try CLI.run([fixture, "--kernel", "identity", "-o", out], env: ["CNNFILTER_WHOLE_MB": "1"])
        #expect(ok.status == 0 && FileManager.default.fileExists(atPath: out), "\(ok.stderr)")
    }
}
