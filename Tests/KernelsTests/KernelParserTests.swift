import Foundation
import Testing
@testable import Kernels

@Suite struct KernelParserTests {
    @Test func parsesHeadersFractionsCommasAndComments() throws {
        let k = try KernelParser.parse("""
            # a comment line
            name: test
            description: a test kernel
            scale: 1/4
            1, 2 1   # trailing comment
            -1/2 0 2e0
            """, source: "t.kernel")
        #expect(k.name == "test" && k.description == "a test kernel")
        #expect(k.matrix == [[0.25, 0.5, 0.25], [-0.125, 0, 0.5]])
        #expect(k.isPlain)
    }

    @Test func evenAndNonSquareKernelsAreLegal() throws {
        #expect(try KernelParser.parse("0 1\n2 3", source: "x").matrix == [[0, 1], [2, 3]])
        let k = try KernelParser.parse("1 2 3 4 5", source: "x")
        #expect(k.height == 1 && k.width == 5)
    }

    @Test func errorsNameFileLineAndColumn() {
        func error(_ text: String) -> String {
            do { _ = try KernelParser.parse(text, source: "bad.kernel"); return "no error" } catch { return "\(error)" }
        }
        #expect(error("1 2 3\n4 x 6\n7 8 9") == "bad.kernel:2:3: 'x' is not a number")
        #expect(error("1 2 3\n4 5\n") == "bad.kernel:2: ragged rows: this row has 2 values but row 1 has 3")
        #expect(error("") == "bad.kernel: no kernel values (an empty kernel)")
        #expect(error("# only a comment\n\n") == "bad.kernel: no kernel values (an empty kernel)")
        #expect(error("scale: a/b\n1") == "bad.kernel:1:8: scale 'a/b' is not a number")
        #expect(error("1 1/0") == "bad.kernel:1:3: '1/0' is not a number")
        #expect(error("colour: red\n1") == "bad.kernel:1:1: unknown setting 'colour' (expected name, description, scale or bias)")
        #expect(error("filter bias=1\n1 2\n\n1 2 3") == "bad.kernel: filter 1 has a 1×3 slice but filter 1 is 1×2")
        #expect(error("filter bias=1\n1\n\n1\nfilter\n1") == "bad.kernel: filter 2 has 1 channel slices but filter 1 has 2")
        #expect(error("filter weight=2\n1") == "bad.kernel:1:8: expected 'bias=NUMBER' after 'filter', found 'weight=2'")
    }

    @Test func blankLinesSeparateChannelSlicesAndFilterStartsAFilter() throws {
        let k = try KernelParser.parse("""
            filter bias=1
            1 0
            0 1

            2 0
            0 2
            filter bias=-0.5
            0 1
            1 0

            3 3
            3 3
            """, source: "bank")
        #expect(k.filters.count == 2 && k.depth == 2 && !k.isPlain)
        #expect(k.filters[0].bias == 1 && k.filters[1].bias == -0.5)
        #expect(k.filters[1].slices[1] == [[3, 3], [3, 3]])
        #expect(k.conv().filters == 2 && k.conv().inputChannelsPerGroup == 2)
        #expect(k.parameterCount == 2 * 2 * 2 * 2 + 2)
    }

    @Test func flipRotatesByHalfATurn() throws {
        let k = try KernelParser.parse("1 2 3\n4 5 6", source: "x").flipped()
        #expect(k.matrix == [[6, 5, 4], [3, 2, 1]])
    }
}

@Suite struct KernelLibraryTests {
    let library = KernelLibrary(searchPaths: [])

    /// The lecture notes' named kernels (WORKED_EXAMPLES.md, E8), typed here by hand.
    @Test func shippedKernelsHaveTheNotesValues() throws {
        let expected: [String: [[Float]]] = [
            "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
            "edge": [[1, 0, -1], [0, 0, 0], [-1, 0, 1]],
            "laplacian": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
            "laplacian-4": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
            "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
            "sobel-x": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
            "gaussian": [[1, 2, 1], [2, 4, 2], [1, 2, 1]].map { $0.map { $0 / 16 } },
            "box": [[1, 1, 1], [1, 1, 1], [1, 1, 1]].map { $0.map { $0 / 9 } },
            "smooth": [[0, 1, 0], [1, 4, 1], [0, 1, 0]].map { $0.map { $0 / 8 } },
        ]
        for (name, m) in expected {
            #expect(try library.resolve(name).matrix == m, "\(name)")
        }
        let required = ["identity", "edge", "laplacian", "laplacian-4", "sharpen", "box", "gaussian", "gaussian-5",
                        "sobel-x", "sobel-y", "prewitt", "emboss"]
        let names = Set(library.listNames())
        for r in required { #expect(names.contains(r), "\(r) is shipped") }
    }

    @Test func builtInCopiesMatchTheKernelsDirectory() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../kernels").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".kernel") }
        #expect(!files.isEmpty)
        #expect(Set(files.map { String($0.dropLast(7)) }) == Set(BuiltinKernels.files.keys),
                "run scripts/embed-kernels.sh after changing kernels/")
        for f in files {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            #expect(BuiltinKernels.files[String(f.dropLast(7))]! + "\n" == text, "\(f): run scripts/embed-kernels.sh")
            let k = try KernelParser.parse(text, source: f)
            #expect(!k.description.isEmpty, "\(f) has a description")
        }
    }

    @Test func inlineMatricesUseSemicolonsBetweenRows() throws {
        #expect(try library.resolve("0 1; 2 3").matrix == [[0, 1], [2, 3]])
        #expect(try library.resolve("1 0 1; 0 1 0; 1 0 1").height == 3)
        #expect(throws: KernelError.self) { try library.resolve("1 2; 3") }
        #expect(try library.resolve(".5 1").matrix == [[0.5, 1]])
    }

    @Test func inlineFiltersUseBarsBetweenChannelSlices() throws {
        let k = try library.resolve("1 0; 0 0 | 0 1; 0 0 | 0 0; 0 1")
        #expect(k.depth == 3 && k.filters.count == 1 && !k.isPlain)
        #expect(k.filters[0].slices == [[[1, 0], [0, 0]], [[0, 1], [0, 0]], [[0, 0], [0, 1]]])
        #expect(throws: KernelError.self) { try library.resolve("1 0; 0 0 | 0 1") }
    }

    /// What train-kernel writes reads back to the same numbers.
    @Test func writtenKernelsReadBack() throws {
        let bank = KernelFile(name: "b", description: "two filters", filters: [
            .init(slices: [[[0.1, -2e-7], [3, 4]], [[1, 2], [3, 1.0 / 3]]], bias: 0.25),
            .init(slices: [[[5, 6], [7, 8]], [[0, 0], [0, -1]]]),
        ], origin: "test")
        let single = KernelFile(name: "s", filters: [.init(slices: [[[1, 2, 3]]], bias: -0.5)], origin: "test")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kw-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for k in [bank, single] {
            try k.text(comments: ["made by a test"]).write(to: dir.appendingPathComponent("\(k.name).kernel"), atomically: true, encoding: .utf8)
            let back = try KernelParser.parse(k.text(), source: "x")
            #expect(back.filters == k.filters)
            #expect(back.description == k.description)
        }
        #expect(try library.resolve(dir.path + "/s.kernel").filters == single.filters)
        // "./…" is a path, not an inline matrix starting with a decimal point.
        do { _ = try library.resolve("./no-such-\(getpid()).kernel"); Issue.record("resolved a missing file") }
        catch { #expect(!"\(error)".contains("not a number"), "\(error)") }
    }

    @Test func parametricGaussianAndBox() throws {
        let g = try library.resolve("gaussian:sigma=2")
        #expect(g.height == 13 && g.width == 13) // 2·ceil(3σ) + 1
        let sum = g.matrix.flatMap { $0 }.reduce(0, +)
        #expect(abs(sum - 1) < 1e-5)
        // Centre over its neighbour: exp(1 / (2σ²)) by definition.
        #expect(abs(g.matrix[6][6] / g.matrix[6][7] - Float(exp(1.0 / 8))) < 1e-4)
        let g5 = try library.resolve("gaussian:5")
        #expect(g5.height == 5 && g5.name.contains("sigma=1.1")) // OpenCV's rule: 0.3((5-1)/2 - 1) + 0.8
        let b = try library.resolve("box:7")
        #expect(b.height == 7 && b.matrix[3][3] == Float(1.0 / 49))
        #expect(try library.resolve("box:3x5").width == 5)
        #expect(throws: KernelError.self) { try library.resolve("gaussian:sigma=-1") }
        #expect(throws: KernelError.self) { try library.resolve("gaussian:4") }
        #expect(throws: KernelError.self) { try library.resolve("box:0") }
    }

    @Test func diskIsARoundLensBlur() throws {
        let d = try library.resolve("disk:2")
        #expect(d.height == 5 && d.width == 5)
        let m = d.matrix
        // Pixels within 2.5 of the centre: all but the four corners.
        #expect(m[0][0] == 0 && m[0][4] == 0 && m[4][0] == 0 && m[4][4] == 0)
        #expect(m.flatMap { $0 }.filter { $0 != 0 }.count == 21)
        #expect(abs(m.flatMap { $0 }.reduce(0, +) - 1) < 1e-6)
        #expect(throws: KernelError.self) { try library.resolve("disk:0") }
    }

    @Test func unknownNamesSuggestTheNearestKernel() {
        do {
            _ = try library.resolve("laplacain")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("unknown kernel 'laplacain'; did you mean 'laplacian'?"))
        }
    }

    @Test func searchPathKernelsComeBeforeBuiltIns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnnfilter-kernels-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "name: sharpen\ndescription: mine\n0 0 0\n0 2 0\n0 0 0\n".write(to: dir.appendingPathComponent("sharpen.kernel"), atomically: true, encoding: .utf8)
        try "1 1\n1 1\n".write(to: dir.appendingPathComponent("mine.kernel"), atomically: true, encoding: .utf8)
        // ./kernels holds the shipped files when tests run from the repository.
        let lib = KernelLibrary.standard(environment: ["CNNFILTER_KERNELS": dir.path])
        #expect(lib.searchPaths == ["kernels", dir.path])
        #expect(try KernelLibrary(searchPaths: [dir.path]).resolve("sharpen").matrix[1][1] == 2)
        #expect(try lib.resolve("mine").matrix == [[1, 1], [1, 1]])
        #expect(lib.list().contains { $0.name == "mine" })
        #expect(try lib.resolve(dir.appendingPathComponent("mine.kernel").path).height == 2)
        #expect(throws: KernelError.self) { try lib.resolve(dir.appendingPathComponent("absent.kernel").path) }
    }
}
