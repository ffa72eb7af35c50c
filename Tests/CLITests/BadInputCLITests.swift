import Foundation
import Testing

/// Bad input never crashes and never leaves output behind: one line on
/// stderr naming the file and the reason, a non-zero exit status.
@Suite struct BadInputCLITests {
    /// Runs cnnfilter writing into a fresh directory and checks the failure.
    func expectFailure(_ args: (URL) throws -> [String], naming: String, reason: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try CLI.tempDir()
        let r = try CLI.run(try args(dir), cwd: dir)
        #expect(r.status != 0, "exit status", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("cnnfilter: ") || r.stderr.hasPrefix("Error: "), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(naming), "names \(naming): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(reason), "says \(reason): \(r.stderr)", sourceLocation: sourceLocation)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix("in") }
        #expect(left.isEmpty, "no output left behind: \(left)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    func write(_ bytes: [UInt8], _ dir: URL, _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func bytes(_ image: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.image(image)))) }

    @Test func truncatedPNG() throws {
        let png = try bytes("chelsea.png")
        try expectFailure({ [try write(Array(png.prefix(png.count / 2)), $0, "in.png"), "--kernel", "laplacian", "-o", $0.appendingPathComponent("out.png").path] },
                          naming: "in.png", reason: "PNG")
    }

    @Test func pngCutInsideItsHeader() throws {
        let png = try bytes("chelsea.png")
        try expectFailure({ [try write(Array(png.prefix(20)), $0, "in.png"), "--kernel", "laplacian", "-o", $0.appendingPathComponent("out.png").path] },
                          naming: "in.png", reason: "truncated")
    }

    @Test func randomBytes() throws {
        var g = SystemRandomNumberGenerator()
        let junk = (0..<5000).map { _ in UInt8.random(in: 128...255, using: &g) }
        try expectFailure({ [try write(junk, $0, "in.png"), "--kernel", "laplacian", "-o", $0.appendingPathComponent("out.png").path] },
                          naming: "in.png", reason: "unknown format")
        // Random bytes behind a valid PNG or JPEG signature.
        try expectFailure({ [try write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + junk, $0, "in.png"), "--kernel", "laplacian", "-o", $0.appendingPathComponent("out.png").path] },
                          naming: "in.png", reason: "PNG")
        try expectFailure({ [try write([0xFF, 0xD8, 0xFF] + junk, $0, "in.jpg"), "--kernel", "laplacian", "-o", $0.appendingPathComponent("out.jpg").path] },
                          naming: "in.jpg", reason: "JPEG")
    }

    /// Every row decodes, but the file's end is missing: still refused, and
    /// the output (already being encoded while decoding) is not committed.
    @Test func pngMissingOnlyItsEnd() throws {
        let png = try bytes("chelsea.png")
        try expectFailure({ [try write(Array(png.prefix(png.count - 12)), $0, "in.png"), "--kernel", "laplacian", "-o", $0.appendingPathComponent("out.png").path] },
                          naming: "in.png", reason: "PNG")
        try expectFailure({ [try write(Array(png.prefix(png.count - 12)), $0, "in.png"), "--kernel", "laplacian", "--pool", "max:2", "-o", $0.appendingPathComponent("out.jpg").path] },
                          naming: "in.png", reason: "PNG")
    }

    @Test func nothingReachesStdoutFromABadFile() throws {
        let png = try bytes("chelsea.png")
        let r = try CLI.run(["-", "--kernel", "sharpen"], stdin: Data(png.prefix(png.count * 3 / 4)))
        #expect(r.status != 0 && r.stdout.isEmpty && r.stderr.contains("-: PNG"))
    }

    @Test func truncatedJPEG() throws {
        let jpg = try bytes("rocket.jpg")
        try expectFailure({ [try write(Array(jpg.prefix(jpg.count * 2 / 3)), $0, "in.jpg"), "--kernel", "sharpen", "-o", $0.appendingPathComponent("out.jpg").path] },
                          naming: "in.jpg", reason: "JPEG")
    }

    @Test func emptyFile() throws {
        try expectFailure({ [try write([], $0, "in.png"), "--kernel", "edge", "-o", $0.appendingPathComponent("out.png").path] },
                          naming: "in.png", reason: "empty file")
    }

    @Test func missingFile() throws {
        try expectFailure({ [$0.appendingPathComponent("in-absent.png").path, "--kernel", "edge", "-o", $0.appendingPathComponent("out.png").path] },
                          naming: "in-absent.png", reason: "no such file")
    }

    @Test func badKernelFile() throws {
        try expectFailure({ dir in
            let k = dir.appendingPathComponent("in-bad.kernel")
            try "1 2 3\n4 five 6\n".write(to: k, atomically: true, encoding: .utf8)
            return [CLI.image("chelsea.png"), "--kernel", k.path, "-o", dir.appendingPathComponent("out.png").path]
        }, naming: "in-bad.kernel:2:3", reason: "'five' is not a number")
    }

    @Test func unknownKernelName() throws {
        try expectFailure({ [CLI.image("chelsea.png"), "--kernel", "sharpn", "-o", $0.appendingPathComponent("out.png").path] },
                          naming: "sharpn", reason: "did you mean 'sharpen'")
    }

    @Test func zeroStride() throws {
        try expectFailure({ [CLI.image("chelsea.png"), "--kernel", "edge", "--stride", "0", "-o", $0.appendingPathComponent("out.png").path] },
                          naming: "--stride", reason: "at least 1")
    }

    @Test func missingOutputDirectory() throws {
        try expectFailure({ [CLI.image("chelsea.png"), "--kernel", "edge", "-o", $0.appendingPathComponent("nodir/out.png").path] },
                          naming: "nodir", reason: "does not exist")
        try expectFailure({ [CLI.image("chelsea.png"), CLI.image("coffee.png"), "--kernel", "edge", "-o", $0.appendingPathComponent("nodir").path + "/"] },
                          naming: "nodir", reason: "does not exist")
    }

    @Test func aFailedWriteLeavesTheOldFileAlone() throws {
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("result.png")
        try Data("old".utf8).write(to: out)
        let r = try CLI.run([CLI.image("worked/e4.txt"), "--kernel", CLI.image("worked/e4.kernel"), "-o", out.path])
        #expect(r.status != 0 && r.stderr.contains("2 channels"))
        #expect(try Data(contentsOf: out) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["result.png"])
    }

    @Test func oneBadFileAmongManyIsReportedAndTheRestProcessed() throws {
        let dir = try CLI.tempDir()
        let bad = try write([1, 2, 3], dir, "broken.png")
        let outDir = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let r = try CLI.run([CLI.image("chelsea.png"), bad, CLI.image("rocket.jpg"), "--kernel", "sharpen", "-o", outDir.path + "/"])
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("broken.png"))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: outDir.path)) == ["chelsea.png", "rocket.jpg"])
    }

    @Test func unknownOutputExtension() throws {
        try expectFailure({ [CLI.image("chelsea.png"), "--kernel", "edge", "-o", $0.appendingPathComponent("out.xyz").path] },
                          naming: "out.xyz", reason: "--format")
    }
}
