import Foundation
import ImageCodecs
import Testing

/// Many files from a list: shards, a run killed half-way and resumed, bad lists (docs/batch.md).
/// The reference is always one plain run over the whole list, never the code under test's own arithmetic.
@Suite(.serialized) struct BatchCLITests {
    static let count = 36
    static let filter = ["--kernel", "sharpen", "--kernel", "gaussian:sigma=1.5"]

    /// A few dozen small photos in DIR/photos with their list, made by scripts/make-batch-photos.py
    /// (or, without numpy and Pillow, cropped here from the same bundled images).
    static func makePhotos(_ dir: URL) throws -> URL {
        let photos = dir.appendingPathComponent("photos")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", CLI.repo.appendingPathComponent("scripts/make-batch-photos.py").path, photos.path,
                       "--count", "\(count)", "--sizes", "48x32,64x48,80x60", "--per-dir", "10"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        if (try? p.run()) != nil { p.waitUntilExit() }
        if p.terminationReason == .exit && p.terminationStatus == 0 { return photos }
        print("BatchCLITests: no numpy/Pillow for scripts/make-batch-photos.py; cropping the photos in Swift")
        let sources = try ["chelsea.png", "coffee.png", "rocket.jpg"].map { name -> RasterImage in
            guard case .raster(let r) = try ImageReader.read(path: CLI.image(name)) else { throw CodecError(name, "?") }
            return r
        }
        var names: [String] = []
        for i in 0..<count {
            let src = sources[i % sources.count]
            let (w, h) = [(48, 32), (64, 48), (80, 60)][i % 3]
            let x0 = (i * 37) % (src.width - w), y0 = (i * 23) % (src.height - h)
            let crop = RasterImage(width: w, height: h, channels: 3, bitDepth: 8, hasAlpha: false)
            for y in 0..<h {
                for x in 0..<w {
                    for c in 0..<3 {
                        crop.rowPointer(y).storeBytes(of: UInt8(src.sample(y0 + y, x0 + x, c)), toByteOffset: x * 3 + c,
                                                      as: UInt8.self)
                    }
                }
            }
            let rel = String(format: "d%02d/p%05d.%@", i / 10, i, i % 2 == 0 ? "jpg" : "png")
            let path = photos.appendingPathComponent(rel)
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try ImageWriter.write(crop, format: i % 2 == 0 ? .jpeg : .png, to: path.path)
            names.append(rel)
        }
        try Data(names.map { $0 + "\n" }.joined().utf8).write(to: photos.appendingPathComponent("list.txt"))
        return photos
    }

    /// Every file under `dir`, hidden ones too, by relative path.
    static func tree(_ dir: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let base = dir.standardizedFileURL.path
        guard let walk = FileManager.default.enumerator(atPath: base) else { return [:] }
        for case let rel as String in walk {
            var isDir: ObjCBool = false
            let path = base + "/" + rel
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
                files[rel] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return files
    }

    static func mkdir(_ dir: URL, _ name: String) throws -> String {
        let d = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d.path + "/"
    }

    /// One unsharded run over the list: the reference.
    static func reference(_ dir: URL, _ photos: URL) throws -> [String: Data] {
        let out = try mkdir(dir, "full")
        let r = try CLI.run(["--files-from", "list.txt"] + filter + ["-o", out, "--keep-tree"], cwd: photos)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "cnnfilter: \(count) processed, 0 skipped (output exists), 0 failed\n")
        let files = try tree(URL(fileURLWithPath: out))
        #expect(files.count == count)
        let listed = try String(contentsOf: photos.appendingPathComponent("list.txt"), encoding: .utf8)
        #expect(Set(files.keys) == Set(listed.split(separator: "\n").map(String.init)))
        return files
    }

    @Test func twoShardsWriteExactlyTheFilesOfOneRun() throws {
        let dir = try CLI.tempDir()
        let photos = try Self.makePhotos(dir)
        let full = try Self.reference(dir, photos)
        let out = try Self.mkdir(dir, "sharded")
        // Both shards at once, as two Slurm tasks would run.
        var results: [CLI.Result?] = [nil, nil]
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let r = try? CLI.run(["--files-from", "list.txt", "--shard", "\(i + 1)/2"] + Self.filter
                                 + ["-o", out, "--keep-tree"], cwd: photos)
            lock.lock(); results[i] = r; lock.unlock()
        }
        var processed = 0
        for (i, r) in results.enumerated() {
            let r = try #require(r)
            #expect(r.status == 0, "\(r.stderr)")
            // "cnnfilter: shard 1/2: 17 of 36 files; 17 processed, 0 skipped (output exists), 0 failed"
            let words = r.stderr.split(separator: " ")
            #expect(r.stderr.hasPrefix("cnnfilter: shard \(i + 1)/2: ") && words.count > 5, "\(r.stderr)")
            let n = Int(words[3]) ?? -1
            #expect(n > 0 && n < Self.count && r.stderr.contains("; \(n) processed, 0 skipped"), "\(r.stderr)")
            processed += n
        }
        #expect(processed == Self.count)
        let sharded = try Self.tree(URL(fileURLWithPath: out))
        #expect(Set(sharded.keys) == Set(full.keys))
        for (name, bytes) in full { #expect(sharded[name] == bytes, "\(name)") }
    }

    @Test func aRunKilledHalfWayIsCompletedBySkipExisting() throws {
        let dir = try CLI.tempDir()
        let photos = try Self.makePhotos(dir)
        let full = try Self.reference(dir, photos)
        let out = try Self.mkdir(dir, "resumed")
        // The binary stops itself (SIGSTOP) once half the files are done; the SIGKILL then lands half-way.
        #expect(try CLI.killWhenStopped(["--files-from", "list.txt"] + Self.filter + ["-o", out, "--keep-tree"],
                                        env: ["CNNFILTER_STOP_AFTER": "\(Self.count / 2)"], cwd: photos),
                "the run ended before it was killed")

        let partial = try Self.tree(URL(fileURLWithPath: out))
        let complete = partial.filter { full[$0.key] != nil }
        #expect(complete.count >= Self.count / 2 && complete.count < Self.count,
                "\(complete.count) outputs at the kill")
        // Whatever the kill left under an output's own name is that output, whole.
        for (name, bytes) in complete { #expect(bytes == full[name], "\(name) damaged") }

        let r = try CLI.run(["--files-from", "list.txt"] + Self.filter + ["-o", out, "--keep-tree", "--skip-existing"],
                            cwd: photos)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.hasSuffix("cnnfilter: \(Self.count - complete.count) processed, \(complete.count) skipped "
                                   + "(output exists), 0 failed\n"), "\(r.stderr)")
        let resumed = try Self.tree(URL(fileURLWithPath: out))
        #expect(Set(resumed.keys) == Set(full.keys),
                "no temporary files left: \(Set(resumed.keys).subtracting(full.keys))")
        for (name, bytes) in full { #expect(resumed[name] == bytes, "\(name)") }
    }

    @Test func nulSeparatedListFromStandardInput() throws {
        let dir = try CLI.tempDir()
        let photos = try Self.makePhotos(dir)
        let full = try Self.reference(dir, photos)
        let out = try Self.mkdir(dir, "nul")
        let names = try String(contentsOf: photos.appendingPathComponent("list.txt"), encoding: .utf8)
            .split(separator: "\n").map { "./" + $0 }
        let r = try CLI.run(["--files-from", "-", "-0"] + Self.filter + ["-o", out, "--keep-tree"],
                            stdin: Data(names.map { $0 + "\0" }.joined().utf8), cwd: photos)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.tree(URL(fileURLWithPath: out)) == full)
    }

    @Test func missingFilesAndRepeatsAreReportedNotSkipped() throws {
        let dir = try CLI.tempDir()
        let photos = try Self.makePhotos(dir)
        let out = try Self.mkdir(dir, "bad")
        try Data("d00/p00000.jpg\nd00/p00001.png\nnothere.png\n./d00/p00000.jpg\n".utf8)
            .write(to: photos.appendingPathComponent("bad.txt"))
        let r = try CLI.run(["--files-from", "bad.txt"] + Self.filter + ["-o", out, "--keep-tree"], cwd: photos)
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n") == [
            "cnnfilter: d00/p00000.jpg: given 2 times; filtered once",
            "cnnfilter: nothere.png: no such file",
            "cnnfilter: 2 processed, 0 skipped (output exists), 1 failed:",
            "cnnfilter: nothere.png: no such file",
        ])
        #expect(Set(try Self.tree(URL(fileURLWithPath: out)).keys) == ["d00/p00000.jpg", "d00/p00001.png"])
    }

    @Test func badShardsAndListsAreOneLineErrorsWithNoOutput() throws {
        let dir = try CLI.tempDir()
        let photos = try Self.makePhotos(dir)
        let out = try Self.mkdir(dir, "none")
        try Data().write(to: photos.appendingPathComponent("empty.txt"))
        try Data("d00/p00000.jpg\nd01/p00000.jpg\n".utf8).write(to: photos.appendingPathComponent("clash.txt"))
        try FileManager.default.createDirectory(at: photos.appendingPathComponent("d01"),
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: photos.appendingPathComponent("d00/p00000.jpg"),
                                         to: photos.appendingPathComponent("d01/p00000.jpg"))
        for (args, message) in [
            (["--files-from", "list.txt", "--shard", "3/2"], "cnnfilter: --shard 3/2: I must be between 1 and 2"),
            (["--files-from", "list.txt", "--shard", "0/4"], "cnnfilter: --shard 0/4: I must be between 1 and 4"),
            (["--files-from", "list.txt", "--shard", "1-4"], "cnnfilter: --shard '1-4': expected I/N"),
            (["--files-from", "nolist.txt"], "cnnfilter: nolist.txt: cannot read the list of files"),
            (["--files-from", "empty.txt"], "cnnfilter: empty.txt: the list names no files"),
            (["--files-from", "clash.txt"], "two inputs would write the same output file (--keep-tree keeps"),
        ] {
            let r = try CLI.run(args + Self.filter + ["-o", out], cwd: photos)
            #expect(r.status == 1, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(try Self.tree(URL(fileURLWithPath: out)).isEmpty)
        }
    }

    @Test func aLogGetsOneProgressLinePerHundredFiles() throws {
        let dir = try CLI.tempDir()
        let out = try Self.mkdir(dir, "out")
        let names = (0..<250).map { "g\($0).png" }
        for n in names {
            try FileManager.default.copyItem(atPath: CLI.image("gradient16.png"), toPath: dir.path + "/" + n)
        }
        try Data(names.map { $0 + "\n" }.joined().utf8).write(to: dir.appendingPathComponent("list.txt"))
        let r = try CLI.run(["--files-from", "list.txt", "--kernel", "box", "-o", out], cwd: dir)
        #expect(r.status == 0)
        #expect(r.stderr.split(separator: "\n") == ["cnnfilter: 100/250 files", "cnnfilter: 200/250 files",
                                                    "cnnfilter: 250 processed, 0 skipped (output exists), 0 failed"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).count == 250)
    }
}
