import Foundation
import ImageCodecs
import Testing

/// `predict`, `run` and `dump-activations` over lists of photos (docs/batch.md): batches against each
/// photo alone, shards, a killed run resumed, bad lists. The photos are BatchCLITests'; the model is
/// the bundled LeNet-5 (a free batch dimension, its class names inside).
@Suite(.serialized) struct BatchInferenceCLITests {
    static let model = CLI.repo.appendingPathComponent("models/lenet5-fashion.onnx").path
    /// A batch's scores may differ from those of a photo alone in the last bits (the fully connected
    /// layers' products sum in an order that depends on the number of rows: docs/batch.md).
    static let tolerance = 2e-6

    typealias Answer = [(cls: Int, name: String, p: Double)]

    /// The answers of JSON Lines by path (each path once), the failures' errors apart.
    static func answers(_ text: String) throws -> (answers: [String: Answer], errors: [String: String]) {
        var answers: [String: Answer] = [:], errors: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let path = try #require(o["path"] as? String)
            #expect(answers[path] == nil && errors[path] == nil, "\(path) answered twice")
            if let e = o["error"] as? String { errors[path] = e; continue }
            let top = try #require(o["top"] as? [[String: Any]], "\(line)")
            answers[path] = top.map {
                ($0["class"] as? Int ?? -1, $0["name"] as? String ?? "", $0["probability"] as? Double ?? -1)
            }
        }
        return (answers, errors)
    }

    static func expectSame(_ a: [String: Answer], _ b: [String: Answer], _ what: String) {
        #expect(Set(a.keys) == Set(b.keys), "\(what): other photos")
        for (path, x) in a {
            guard let y = b[path] else { continue }
            #expect(x.map(\.cls) == y.map(\.cls) && x.map(\.name) == y.map(\.name), "\(what): \(path)")
            let worst = zip(x, y).map { abs($0.p - $1.p) }.max() ?? 1
            #expect(worst <= tolerance, "\(what): \(path) probabilities differ by \(worst)")
        }
    }

    static func listed(_ photos: URL) throws -> [String] {
        try String(contentsOf: photos.appendingPathComponent("list.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    @Test func batchedAnswersAreThoseOfEachPhotoAlone() throws {
        let dir = try CLI.tempDir()
        let photos = try BatchCLITests.makePhotos(dir)
        // Batches of 5: 36 photos make 7 full batches and one of a single photo.
        let r = try CLI.run(["predict", Self.model, "--files-from", "list.txt", "--json", "--batch-size", "5"],
                            cwd: photos)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "cnnfilter: 36 processed, 0 skipped (output exists), 0 failed\n")
        let batched = try Self.answers(r.text).answers
        var alone: [String: Answer] = [:]
        for name in try Self.listed(photos) {
            let one = try CLI.run(["predict", Self.model, name, "--json"], cwd: photos)
            #expect(one.status == 0 && one.stderr.isEmpty, "\(name): \(one.stderr)")
            alone.merge(try Self.answers(one.text).answers) { a, _ in a }
        }
        #expect(alone.count == BatchCLITests.count && batched.values.allSatisfy { $0.count == 5 })
        Self.expectSame(batched, alone, "batches of 5 against each photo alone")
        // The classic output of one photo names the same classes.
        let first = try Self.listed(photos)[0]
        let text = try CLI.run(["predict", Self.model, first, "--top", "2"], cwd: photos)
        #expect(text.text.split(separator: "\n").map { String($0.split(separator: " ", maxSplits: 3).last ?? "") }
                == alone[first]!.prefix(2).map { "\($0.cls)  \($0.name)" }, "\(text.text)")

        // One thread: the same batches, bit for bit, and the filter's same bytes.
        let single = try CLI.run(["predict", Self.model, "--files-from", "list.txt", "--json", "--batch-size", "5",
                                  "--threads", "1"], cwd: photos)
        #expect(single.status == 0 && single.stdout == r.stdout)
        let out = try BatchCLITests.mkdir(dir, "one-thread")
        let f = try CLI.run(["--files-from", "list.txt"] + BatchCLITests.filter + ["-o", out, "--keep-tree",
                                                                                  "--threads", "1"], cwd: photos)
        #expect(f.status == 0, "\(f.stderr)")
        #expect(try BatchCLITests.tree(URL(fileURLWithPath: out)) == BatchCLITests.reference(dir, photos))
    }

    @Test func oneThreadKeepsToOneCore() throws {
        let dir = try CLI.tempDir()
        let photos = try BatchCLITests.makePhotos(dir)
        // GNU time (Debian's `time`, which make test installs) reports the CPU time the command used.
        let time = URL(fileURLWithPath: "/usr/bin/time")
        try #require(FileManager.default.isExecutableFile(atPath: time.path), "/usr/bin/time (Debian: time) is missing")
        let p = Process()
        p.executableURL = time
        let model = CLI.repo.appendingPathComponent("models/fashion-resnet.onnx").path
        p.arguments = ["-f", "%e %U %S", CLI.binary.path, "predict", model, "--files-from", "list.txt", "--csv",
                       "--threads", "1"]
        p.currentDirectoryURL = photos
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        let numbers = (text.split(separator: "\n").last ?? "").split(separator: " ").compactMap { Double($0) }
        try #require(numbers.count == 3, "\(text)")
        // user + system against elapsed: one thread cannot use more than the wall time (plus rounding).
        #expect(numbers[1] + numbers[2] <= numbers[0] * 1.05 + 0.05, "\(text)")
    }

    @Test func twoShardsAnswerEveryPhotoOnce() throws {
        let dir = try CLI.tempDir()
        let photos = try BatchCLITests.makePhotos(dir)
        let whole = try CLI.run(["predict", Self.model, "--files-from", "list.txt", "--json", "-o", "../all.jsonl"],
                                cwd: photos)
        #expect(whole.status == 0 && whole.stdout.isEmpty, "\(whole.stderr)")
        var results: [CLI.Result?] = [nil, nil]
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let r = try? CLI.run(["predict", Self.model, "--files-from", "list.txt", "--shard", "\(i + 1)/2", "--json",
                                  "-o", "../part\(i + 1).jsonl"], cwd: photos)
            lock.lock(); results[i] = r; lock.unlock()
        }
        var parts: [String: Answer] = [:]
        for (i, r) in results.enumerated() {
            let r = try #require(r)
            #expect(r.status == 0 && r.stderr.hasPrefix("cnnfilter: shard \(i + 1)/2: "), "\(r.stderr)")
            let part = try Self.answers(try String(contentsOf: dir.appendingPathComponent("part\(i + 1).jsonl"),
                                                   encoding: .utf8)).answers
            #expect(r.stderr.contains("\(part.count) of 36 files; \(part.count) processed"), "\(r.stderr)")
            #expect(Set(part.keys).isDisjoint(with: parts.keys))
            parts.merge(part) { a, _ in a }
        }
        let all = try Self.answers(try String(contentsOf: dir.appendingPathComponent("all.jsonl"), encoding: .utf8))
        #expect(Set(all.answers.keys) == Set(try Self.listed(photos)))
        Self.expectSame(parts, all.answers, "two shards against one run")
    }

    @Test func aRunKilledHalfWayIsCompletedBySkipExisting() throws {
        let dir = try CLI.tempDir()
        let photos = try BatchCLITests.makePhotos(dir)
        let reference = try CLI.run(["predict", Self.model, "--files-from", "list.txt", "--json"], cwd: photos)
        #expect(reference.status == 0)
        for format in ["--json", "--csv"] {
            let out = dir.appendingPathComponent("answers" + format.dropFirst(2).description).path
            // It stops itself (SIGSTOP) once 16 photos (4 batches) are answered; the SIGKILL lands there.
            let args = ["predict", Self.model, "--files-from", "list.txt", format, "--batch-size", "4", "-o", out]
            #expect(try CLI.killWhenStopped(args, env: ["CNNFILTER_STOP_AFTER": "16"], cwd: photos),
                    "\(format): the run ended before it was killed")
            let header = format == "--csv" ? 1 : 0
            let written = try String(contentsOfFile: out, encoding: .utf8)
            #expect(written.split(separator: "\n").count == 16 + header && written.hasSuffix("\n"), "\(format)")
            // As if the kill had cut a line in two.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            handle.seekToEndOfFile()
            handle.write(Data((format == "--csv" ? "d03/p00035.png,3,Dr" : #"{"path":"d03/p00035.png","to"#).utf8))
            try handle.close()

            let r = try CLI.run(["predict", Self.model, "--files-from", "list.txt", format, "-o", out,
                                 "--skip-existing"], cwd: photos)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.hasSuffix("cnnfilter: 20 processed, 16 skipped (output exists), 0 failed\n"),
                    "\(r.stderr)")
            let resumed = try String(contentsOfFile: out, encoding: .utf8)
            #expect(resumed.split(separator: "\n").count == 36 + header && !resumed.contains("Dr\n"), "\(format)")
            if format == "--json" {
                Self.expectSame(try Self.answers(resumed).answers, try Self.answers(reference.text).answers, "resumed")
            } else {
                #expect(resumed.hasPrefix("path,class_1,name_1,probability_1,")
                        && resumed.components(separatedBy: "path,").count == 2)
                let paths = resumed.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
                #expect(paths.sorted() == (try Self.listed(photos)).sorted())
            }
        }
    }

    @Test func runAndDumpActivationsOverAList() throws {
        let dir = try CLI.tempDir()
        let photos = try BatchCLITests.makePhotos(dir)
        let out = try BatchCLITests.mkdir(dir, "tensors")
        let r = try CLI.run(["run", Self.model, "--files-from", "list.txt", "-o", out, "--keep-tree"], cwd: photos)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "cnnfilter: 36 processed, 0 skipped (output exists), 0 failed\n", "\(r.stderr)")
        let files = try BatchCLITests.tree(URL(fileURLWithPath: out))
        #expect(Set(files.keys) == Set(try Self.listed(photos).map { ($0 as NSString).deletingPathExtension + ".npy" }))
        for name in try Self.listed(photos).prefix(3) {
            let alone = dir.appendingPathComponent("alone.npy").path
            #expect(try CLI.run(["run", Self.model, "--input", name, "-o", alone], cwd: photos).status == 0)
            let a = try NPYCodec.decode(try ImageReader.readBytes(alone), path: alone, imageShape: false)
            let b = try NPYCodec.decode(Array(files[(name as NSString).deletingPathExtension + ".npy"]!), path: name,
                                        imageShape: false)
            #expect(a.shape == [1, 10] && b.shape == a.shape && a.maxAbsDifference(b) <= 1e-5, "\(name)")
        }
        let again = try CLI.run(["run", Self.model, "--files-from", "list.txt", "-o", out, "--keep-tree",
                                 "--skip-existing"], cwd: photos)
        #expect(again.stderr == "cnnfilter: 0 processed, 36 skipped (output exists), 0 failed\n", "\(again.stderr)")

        try Data("d00/p00000.jpg\nd00/p00001.png\nd01/p00010.jpg\n".utf8)
            .write(to: photos.appendingPathComponent("three.txt"))
        let acts = try BatchCLITests.mkdir(dir, "acts")
        let d = try CLI.run(["dump-activations", Self.model, "--files-from", "three.txt", "--layers", "c1", "-o", acts,
                             "--keep-tree"], cwd: photos)
        #expect(d.status == 0, "\(d.stderr)")
        #expect(d.stderr == "cnnfilter: 3 processed, 0 skipped (output exists), 0 failed\n", "\(d.stderr)")
        for page in ["d00/p00000", "d00/p00001", "d01/p00010"] {
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: acts + page))
                    == ["C1", "C1.png", "index.html"])
        }
        // A killed dump's half-filled directory is removed, and finished ones are skipped.
        try FileManager.default.createDirectory(atPath: acts + "d00/.p00000.tmp-99999/C1",
                                                withIntermediateDirectories: true)
        let skip = try CLI.run(["dump-activations", Self.model, "--files-from", "three.txt", "--layers", "c1",
                                "-o", acts, "--keep-tree", "--skip-existing"], cwd: photos)
        #expect(skip.stderr == "cnnfilter: removed 1 temporary files a killed run left\n"
                + "cnnfilter: 0 processed, 3 skipped (output exists), 0 failed\n", "\(skip.stderr)")
        #expect(!FileManager.default.fileExists(atPath: acts + "d00/.p00000.tmp-99999"))
    }

    @Test func badListsAreReportedLineByLine() throws {
        let dir = try CLI.tempDir()
        let photos = try BatchCLITests.makePhotos(dir)
        try Data("d00/p00000.jpg\nnothere.png\n./d00/p00000.jpg\nd00/p00001.png\n".utf8)
            .write(to: photos.appendingPathComponent("bad.txt"))
        let r = try CLI.run(["predict", Self.model, "--files-from", "bad.txt", "--json"], cwd: photos)
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n") == [
            "cnnfilter: d00/p00000.jpg: given 2 times; predicted once",
            "cnnfilter: nothere.png: no such file",
            "cnnfilter: 2 processed, 0 skipped (output exists), 1 failed:",
            "cnnfilter: nothere.png: no such file",
        ], "\(r.stderr)")
        let (answers, errors) = try Self.answers(r.text)
        #expect(Set(answers.keys) == ["d00/p00000.jpg", "d00/p00001.png"])
        #expect(errors == ["nothere.png": "nothere.png: no such file"])
        // In CSV the failure has no row; in run it has no file.
        let csv = try CLI.run(["predict", Self.model, "--files-from", "bad.txt", "--csv"], cwd: photos)
        #expect(csv.status == 1 && csv.text.split(separator: "\n").count == 3)
        let out = try BatchCLITests.mkdir(dir, "npy")
        let run = try CLI.run(["run", Self.model, "--files-from", "bad.txt", "-o", out], cwd: photos)
        #expect(run.status == 1 && run.stderr.contains("cnnfilter: 2 processed, 0 skipped (output exists), 1 failed:"))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == ["p00000.npy", "p00001.npy"])

        try Data().write(to: photos.appendingPathComponent("empty.txt"))
        let o = ["-o", "../answers.txt"]
        for (args, message) in [
            (["--files-from", "list.txt", "--shard", "3/2"] + o, "cnnfilter: --shard 3/2: I must be between 1 and 2"),
            (["--files-from", "list.txt", "--shard", "0/4"] + o, "cnnfilter: --shard 0/4: I must be between 1 and 4"),
            (["--files-from", "empty.txt"] + o, "cnnfilter: empty.txt: the list names no files"),
            (["--files-from", "nolist.txt"] + o, "cnnfilter: nolist.txt: cannot read the list of files"),
            (["--files-from", "list.txt", "--json", "--skip-existing"], "--skip-existing needs -o FILE"),
            (["--files-from", "list.txt", "--skip-existing"] + o, "give --json or --csv"),
            (["--files-from", "list.txt", "--keep-tree"] + o, "--keep-tree: predict writes every answer to one file"),
            (["--files-from", "list.txt", "--json", "--csv"] + o, "give --json or --csv, not both"),
            (["--files-from", "list.txt", "--batch-size", "0"] + o, "--batch-size 0: give at least 1"),
            (["--files-from", "list.txt", "--threads", "0"] + o, "--threads 0: give at least 1"),
        ] {
            let r = try CLI.run(["predict", Self.model] + args, cwd: photos)
            #expect(r.status != 0, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("answers.txt").path), "\(args)")
        }
    }
}
