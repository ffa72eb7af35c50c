import FilterPipeline
import Foundation
import ImageCodecs
import Testing

/// Lists, shards and output trees, against values worked out by hand or published elsewhere.
@Suite struct BatchInputsTests {
    @Test func fnv1aMatchesThePublishedTestVectors() {
        // From the FNV reference (isthe.com/chongo/tech/comp/fnv), 64-bit FNV-1a.
        #expect(Shard.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(Shard.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(Shard.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test func shardOfAPathComesFromTheHighBitsOfItsHash() throws {
        // FNV-1a("a") = 0xaf63dc4c8601ec8c = 0.6851... * 2^64: floor(0.6851 * 4) = 2, shard 3 of 4
        // (its top two bits, of hex a = 1010, are 10); floor(0.6851 * 3) = 2, shard 3 of 3.
        #expect(try Shard(index: 3, count: 4).contains("a"))
        #expect(try Shard(index: 3, count: 3).contains("a"))
        #expect(try !Shard(index: 1, count: 3).contains("a") && !Shard(index: 2, count: 3).contains("a"))
        // The path is normalized first: "./a" and "a" are one file, in one shard.
        #expect(try Shard(index: 3, count: 3).contains("./a"))
    }

    @Test func namesThatDifferInOneDigitSpreadOverPowerOfTwoShards() throws {
        // p0.jpg ... p9.jpg: the digits 1 and 5 share their low bits, which h mod 4 would put together.
        let names = (0..<400).map { "p\($0).jpg" }
        for n in [2, 4, 8] {
            let sizes = try (1...n).map { i in names.filter(try Shard(index: i, count: n).contains).count }
            #expect(sizes.allSatisfy { abs($0 - 400 / n) <= 400 / n / 3 }, "\(n) shards: \(sizes)")
        }
    }

    @Test func shardsSplitAListIntoDisjointSlicesThatCoverIt() throws {
        let names = (0..<1000).map { "photos/d\($0 / 100)/p\($0).jpg" }
        var seen = [Int](repeating: 0, count: names.count)
        var sizes: [Int] = []
        for i in 1...4 {
            let s = try Shard(index: i, count: 4)
            let mine = names.indices.filter { s.contains(names[$0]) }
            for k in mine { seen[k] += 1 }
            sizes.append(mine.count)
        }
        #expect(seen.allSatisfy { $0 == 1 })
        #expect(sizes.allSatisfy { (200...300).contains($0) }, "\(sizes)")
        // Order does not matter: the same names reversed fall into the same shards.
        let s = try Shard(index: 3, count: 4)
        #expect(names.filter(s.contains) == names.reversed().filter(s.contains).reversed())
    }

    @Test func badShardsAreErrors() throws {
        for (text, message) in [("3/2", "--shard 3/2: I must be between 1 and 2 (shards are numbered from 1)"),
                                ("0/4", "--shard 0/4: I must be between 1 and 4 (shards are numbered from 1)"),
                                ("1/0", "--shard 1/0: N must be at least 1"),
                                ("-1/4", "--shard -1/4: I must be between 1 and 4 (shards are numbered from 1)"),
                                ("1", "--shard '1': expected I/N, two whole numbers such as 1/4"),
                                ("a/b", "--shard 'a/b': expected I/N, two whole numbers such as 1/4"),
                                ("1/2/3", "--shard '1/2/3': expected I/N, two whole numbers such as 1/4")] {
            do {
                _ = try Shard(parsing: text)
                Issue.record("\(text) accepted")
            } catch {
                #expect("\(error)" == message)
            }
        }
        #expect(try Shard(parsing: "4/4") == (try Shard(index: 4, count: 4)))
    }

    @Test func listsSplitOnNewlinesOrNULs() {
        #expect(FileList.names(Array("a.png\nb c.png\r\n\n./d/e.jpg".utf8), nulSeparated: false)
                == ["a.png", "b c.png", "./d/e.jpg"])
        #expect(FileList.names(Array("a\nb.png\0c.png\0\0".utf8), nulSeparated: true) == ["a\nb.png", "c.png"])
        #expect(FileList.names([], nulSeparated: false) == [])
    }

    @Test func repeatsAreKeptOnceAndCounted() {
        let u = BatchInputs.unique(["a.png", "b.png", "./a.png", "x//a.png", "x/a.png", "a.png"])
        #expect(u.inputs == ["a.png", "b.png", "x//a.png"])
        #expect(u.repeated.map { "\($0.name) \($0.times)" } == ["a.png 3", "x//a.png 2"])
    }

    func paths(_ inputs: [String], keepTree: Bool) throws -> [String] {
        let dir = FileManager.default.temporaryDirectory.path + "/"
        return try OutputPlan.targets(inputs: inputs, output: dir, format: nil, printText: false,
                                      stdoutIsTerminal: false,
                                      keepTree: keepTree).map { String($0.path.dropFirst(dir.count)) }
    }

    @Test func outputDirectoryFlatOrKeepingTheTree() throws {
        // Flat: the names alone, and two inputs with one name are an error before anything runs.
        #expect(try paths(["a/x.png", "b/y.jpg"], keepTree: false) == ["x.png", "y.jpg"])
        #expect(throws: CodecError.self) { try paths(["a/x.png", "b/x.png"], keepTree: false) }
        // --keep-tree: the relative directory, "./" and a leading "/" dropped.
        #expect(try paths(["a/x.png", "./b//x.png", "/data/c/x.jpg", "top.png"], keepTree: true)
                == ["a/x.png", "b/x.png", "data/c/x.jpg", "top.png"])
        #expect(throws: CodecError.self) { try paths(["../x.png"], keepTree: true) }
        #expect(throws: CodecError.self) { try paths(["a/x.png", "./a/x.png"], keepTree: true) }
    }

    @Test func leftoversOfAKilledRunAreRemovedForThisBatchsTargetsOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("batch-leftovers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in [".a.png.Xy12Z9", ".b.png.Qq11Ww", ".a.png.short", "a.png", ".a.png"] {
            try Data("x".utf8).write(to: dir.appendingPathComponent(name))
        }
        let target = OutputTarget(input: "in/a.png", path: dir.path + "/a.png", format: .png)
        #expect(TargetBatch.removeLeftovers(of: [target]) == [dir.path + "/.a.png.Xy12Z9"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
                == [".b.png.Qq11Ww", ".a.png.short", "a.png", ".a.png"])
        // A layer dump's directory being filled (".NAME.tmp-PID"), with what it holds.
        for name in [".acts.tmp-4242", ".other.tmp-17", ".acts.tmp-x1"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(name + "/c1"),
                                                    withIntermediateDirectories: true)
        }
        let dump = OutputTarget(input: "p.png", path: dir.path + "/acts", format: .png)
        #expect(TargetBatch.removeLeftovers(of: [dump]) == [dir.path + "/.acts.tmp-4242"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
                == [".b.png.Qq11Ww", ".a.png.short", "a.png", ".a.png", ".other.tmp-17", ".acts.tmp-x1"])
    }
}
