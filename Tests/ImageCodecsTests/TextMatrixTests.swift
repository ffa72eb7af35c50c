import Foundation
import Testing
@testable import ImageCodecs
import Tensors

/// Text matrices as other tools and editors write them: CRLF line endings,
/// and bad tokens of any length quoted in one short line.
@Suite struct TextMatrixTests {
    func decode(_ text: String) throws -> Tensor { try TextMatrix.decode(bytes: Array(text.utf8), path: "m.txt") }

    func error(_ text: String) -> String {
        do { _ = try decode(text); return "no error" } catch { return "\(error)" }
    }

    @Test func crlfLineEndingsReadAsLF() throws {
        for text in ["0 1 2\r\n3 4 5\r\n", "0 1 2\r\n3 4 5\r", "0 1 2\n3 4 5\r\n", "# c\r\n0 1 2\r\n# d\r\n3 4 5"] {
            let t = try decode(text)
            #expect(t.shape == [2, 3] && t.storage == [0, 1, 2, 3, 4, 5], "\(Array(text.utf8))")
        }
        // A blank CRLF line between channels.
        let t = try decode("1 2\r\n3 4\r\n\r\n5 6\r\n7 8\r\n")
        #expect(t.shape == [2, 2, 2] && t.storage == [1, 2, 3, 4, 5, 6, 7, 8])
        // Through the reader, as cnnfilter reads a file.
        guard case .tensor(let r) = try ImageReader.decode(Array("1/2 -1\r\n0 2\r\n".utf8), path: "e.txt") else {
            Issue.record("not a tensor"); return
        }
        #expect(r.shape == [2, 2] && r.storage == [0.5, -1, 0, 2])
    }

    @Test func errorsAfterCRLFKeepTheirLinesAndColumns() {
        #expect(error("1 2\r\n3\r\n") == "m.txt:2: ragged rows: this row has 1 values but line 1 has 2")
        #expect(error("1 2\r\n3 y\r\n") == "m.txt:2:3: 'y' is not a number")
        #expect(error("1 2\r\n\r\n3 4 5\r\n") == "m.txt:3: channel 2 has 3 columns but channel 1 has 2")
        #expect(error("1\r\n2\r\n\r\n3\r\n") == "m.txt: channel 2 has 1 rows but channel 1 has 2")
        #expect(error("\r\n\r\n") == "m.txt: no numbers in the text matrix (an empty file)")
    }

    /// A CR inside a line is no line ending: the token is quoted with it escaped.
    @Test func controlCharactersAreEscaped() {
        #expect(error("1 2\r3 4\n") == "m.txt:1:3: '2\\r3' is not a number")
        #expect(error("1 a\u{1b}[31mb\n") == "m.txt:1:3: 'a\\u{1b}[31mb' is not a number")
        #expect(error("1 \u{7f}\n") == "m.txt:1:3: '\\u{7f}' is not a number")
    }

    @Test func aHugeTokenIsQuotedShort() {
        let message = error("1 " + String(repeating: "7", count: 1_000_000) + "x\n")
        #expect(message == "m.txt:1:3: '" + String(repeating: "7", count: 40) + "…' is not a number")
        // Forty characters, not forty bytes.
        let wide = error(String(repeating: "é", count: 100) + "\n")
        #expect(wide == "m.txt:1:1: '" + String(repeating: "é", count: 40) + "…' is not a number")
    }

    /// Whatever the path or reason hold, a CodecError prints as one line of about 300 characters.
    @Test func codecErrorsPrintAsOneShortLine() {
        let e = CodecError("dir\nname.txt", String(repeating: "why ", count: 500) + "\n")
        let text = "\(e)"
        #expect(!text.contains("\n") && text.count <= 310 && text.hasPrefix("dir\\nname.txt: why why"))
        #expect(e.reason.hasSuffix("\n"), "the reason itself is kept")
    }

    /// The values of a matrix read back unchanged, whatever the row shape.
    @Test func longRowsAndManyRows() throws {
        let wide = try decode((0..<5000).map { "\($0 % 7)" }.joined(separator: " ") + "\r\n")
        #expect(wide.shape == [1, 5000] && wide.storage[4999] == Float(4999 % 7))
        let tall = try decode(String(repeating: "1,2\r\n", count: 20000))
        #expect(tall.shape == [20000, 2] && tall.storage.reduce(0, +) == 60000)
    }
}
