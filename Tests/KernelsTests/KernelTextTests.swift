import Foundation
import Testing
@testable import Kernels

/// Kernel files with CRLF line endings, and errors that stay one short line.
@Suite struct KernelTextTests {
    func error(_ text: String) -> String {
        do { _ = try KernelParser.parse(text, source: "bad.kernel"); return "no error" } catch { return "\(error)" }
    }

    @Test func crlfKernelFilesParseAsLF() throws {
        let text = "# blur\r\nname: crlf\r\ndescription: a b\r\nscale: 1/16\r\n1 2 1\r\n2 4 2\r\n1 2 1\r\n"
        let k = try KernelParser.parse(text, source: "crlf.kernel")
        #expect(k.name == "crlf" && k.description == "a b")
        #expect(k.matrix == [[0.0625, 0.125, 0.0625], [0.125, 0.25, 0.125], [0.0625, 0.125, 0.0625]])
        #expect(k.sourceText == text)
        // A lone CR at the very end, and no newline after the last row.
        #expect(try KernelParser.parse("0 1\r\n2 3\r", source: "x").matrix == [[0, 1], [2, 3]])
        #expect(try KernelParser.parse("0 1\r\n2 3", source: "x").matrix == [[0, 1], [2, 3]])
    }

    @Test func crlfFilterBanks() throws {
        let k = try KernelParser.parse("filter bias=1\r\n1 0\r\n\r\n0 1\r\nfilter bias=-1\r\n2 0\r\n\r\n0 2\r\n",
                                       source: "bank.kernel")
        #expect(k.filters.count == 2 && k.depth == 2)
        #expect(k.filters[0].bias == 1 && k.filters[1].bias == -1)
        #expect(k.filters[0].slices == [[[1, 0]], [[0, 1]]] && k.filters[1].slices == [[[2, 0]], [[0, 2]]])
    }

    @Test func crlfErrorsKeepLinesAndColumns() {
        #expect(error("1 2 3\r\n4 x 6\r\n") == "bad.kernel:2:3: 'x' is not a number")
        #expect(error("1 2 3\r\n4 5\r\n") == "bad.kernel:2: ragged rows: this row has 2 values but row 1 has 3")
        #expect(error("scale: a/b\r\n1\r\n") == "bad.kernel:1:8: scale 'a/b' is not a number")
        #expect(error("# c\r\n\r\n") == "bad.kernel: no kernel values (an empty kernel)")
    }

    @Test func badTokensAreQuotedShortOnOneLine() {
        let long = String(repeating: "9", count: 100_000) + "z"
        #expect(error("1 " + long) == "bad.kernel:1:3: '" + String(repeating: "9", count: 40) + "…' is not a number")
        #expect(error("1 2\r3 4") == "bad.kernel:1:3: '2\\r3' is not a number")
        #expect(error("1 \u{1b}]0;x\u{7}") == "bad.kernel:1:3: '\\u{1b}]0;x\\u{7}' is not a number")
        let key = String(repeating: "k", count: 5000)
        let setting = error("\(key): 1\n1")
        let quoted = String(repeating: "k", count: 40) + "…"
        #expect(setting.hasPrefix("bad.kernel:1:1: unknown setting '\(quoted)' (expected"))
        #expect(error("scale: \(long)\n1").count < 120)
        #expect(error("filter bias=1 \(long)\n1").count < 160)
    }

    /// Inline and parametric specifications are quoted short too.
    @Test func longSpecificationsAreQuotedShort() {
        let library = KernelLibrary(searchPaths: [])
        for spec in ["1 " + String(repeating: "x", count: 50_000), String(repeating: "q", count: 50_000),
                     "box:" + String(repeating: "7", count: 50_000), "1 2\n\u{1b}x"] {
            do {
                _ = try library.resolve(spec)
                Issue.record("accepted")
            } catch {
                let text = "\(error)"
                #expect(text.count <= 300 && !text.contains("\n") && !text.contains("\u{1b}"), "\(text)")
            }
        }
    }

    /// Whatever the source or message hold, a KernelError prints as one line of about 300 characters.
    @Test func kernelErrorsPrintAsOneShortLine() {
        let e = KernelError(source: "a\r\nb", line: 3, column: 4, String(repeating: "m", count: 10_000))
        let text = "\(e)"
        #expect(text.hasPrefix("a\\r\\nb:3:4: mmm") && text.count <= 310 && !text.contains("\r\n"))
    }
}
