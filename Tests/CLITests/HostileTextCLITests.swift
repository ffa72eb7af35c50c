import Foundation
import Testing

/// Text inputs as editors and hostile files write them: CRLF line endings,
/// a 16 MB token, a 16 MB matrix with one ragged row.
@Suite struct HostileTextCLITests {
    func write(_ text: String, _ dir: URL, _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Exit status 1, one line `cnnfilter: FILE…: reason` of at most 300 characters, nothing on stdout.
    func expectOneLineFailure(_ r: CLI.Result, naming: String, reason: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 1, "exit status", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("cnnfilter: \(naming)"), "\(r.stderr.prefix(300))", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(reason), "\(r.stderr.prefix(300))", sourceLocation: sourceLocation)
        #expect(r.stderr.hasSuffix("\n") && r.stderr.filter { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }.count == 1,
                "one line", sourceLocation: sourceLocation)
        #expect(r.stderr.count <= 300, "\(r.stderr.count) characters", sourceLocation: sourceLocation)
    }

    @Test func crlfMatricesAndKernelsAreRead() throws {
        let dir = try CLI.tempDir()
        let matrix = try write("0 1 2\r\n3 4 5\r\n6 7 8\r", dir, "m.txt")
        let identity = try CLI.run([matrix, "--kernel", "identity", "--print"])
        #expect(identity.status == 0 && identity.text == "0 1 2\n3 4 5\n6 7 8\n", "\(identity.stderr)")
        // The centre of [[0,1,2],[3,4,5],[6,7,8]] under [[1,0],[0,1]] with no padding: 0+4, 1+5, 3+7, 4+8.
        let kernel = try write("name: diagonal\r\n# CRLF\r\n1 0\r\n0 1\r\n", dir, "d.kernel")
        let r = try CLI.run([matrix, "--kernel", kernel, "--padding", "0", "--print"])
        #expect(r.status == 0 && r.text == " 4  6\n10 12\n", "\(r.stderr)")
    }

    @Test func aSixteenMegabyteTokenIsQuotedShort() throws {
        let dir = try CLI.tempDir()
        let path = try write("1 " + String(repeating: "1", count: 16 << 20) + "x\n", dir, "token.txt")
        let r = try CLI.run([path, "--kernel", "identity", "--print"])
        expectOneLineFailure(r, naming: path + ":1:3: '1111", reason: "…' is not a number")
    }

    @Test func aCarriageReturnInsideALineIsEscaped() throws {
        let dir = try CLI.tempDir()
        let path = try write("1 2\r3 4\n", dir, "cr.txt")
        let r = try CLI.run([path, "--kernel", "identity", "--print"])
        expectOneLineFailure(r, naming: path + ":1:3", reason: "'2\\r3' is not a number")
        let k = try write("1 2\r3 4\n", dir, "cr.kernel")
        expectOneLineFailure(try CLI.run([path, "--kernel", k, "--print"]), naming: k + ":1:3",
                             reason: "'2\\r3' is not a number")
    }

    /// Peak resident memory through GNU time (Debian's `time`, which `make deps` installs): a 16 MB
    /// matrix of one value a row took 764 MB before the parsers streamed.
    @Test
    func aSixteenMegabyteRaggedMatrixStaysSmall() throws {
        let dir = try CLI.tempDir()
        let rows = String(repeating: "1\n", count: 8 << 20 - 2) + "1 1\n"
        let path = try write(rows, dir, "tall.txt")
        let kernel = try write("name: tall\n" + rows, dir, "tall.kernel")
        let report = dir.appendingPathComponent("time.txt").path
        let small = try write("1 2\n3 4\n", dir, "small.txt")
        for (args, line) in [([path, "--kernel", "identity"], 8388607), ([small, "--kernel", kernel], 8388608)] {
            let r = try timed(args + ["--print"], report: report)
            expectOneLineFailure(r, naming: (args[0] == small ? kernel : path) + ":\(line)", reason: "ragged rows")
            let kb = Int(try String(contentsOfFile: report, encoding: .utf8)
                .split(separator: "\n").last.map(String.init) ?? "") ?? .max
            #expect(kb < 160 << 10, "peak \(kb / 1024) MB")
        }
    }

    /// cnnfilter under `/usr/bin/time -f %M -o report` (peak resident kilobytes).
    func timed(_ args: [String], report: String) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        p.arguments = ["-f", "%M", "-o", report, CLI.binary.path] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        let stderr = String(decoding: errData, as: UTF8.self)
        return CLI.Result(status: p.terminationStatus, stdout: outData, stderr: stderr)
    }
}
