import Foundation
import Testing
@testable import ImageCodecs

/// A .npy file as the format lays it out: magic, version, header length
/// (2 bytes in 1.0, 4 in 2.0 and 3.0), the header padded with spaces and
/// ended by a newline so that the data starts on a multiple of `align`.
func npyFile(_ header: String, data: [UInt8] = [], major: UInt8 = 1, minor: UInt8 = 0, align: Int = 64,
             newline: Bool = true, pad: Bool = true) -> [UInt8] {
    var h = Array(header.utf8)
    let prefix = major == 1 ? 10 : 12
    if pad { h += [UInt8](repeating: 0x20, count: (align - (prefix + h.count + (newline ? 1 : 0)) % align) % align) }
    if newline { h.append(0x0A) }
    let length = (0..<(prefix - 8)).map { UInt8(truncatingIfNeeded: h.count >> (8 * $0)) }
    return [0x93] + Array("NUMPY".utf8) + [major, minor] + length + h + data
}

/// Headers numpy reads and refuses (numpy 2.4's np.load gave each verdict
/// below; the Fortran-order values are its reading too).
@Suite struct NPYHeaderTests {
    /// 1, 2, 3, 4 as little-endian float32.
    static let data: [UInt8] = [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40]
    static let standard = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"

    func decode(_ bytes: [UInt8]) throws -> (shape: [Int], values: [Float]) {
        let t = try NPYCodec.decode(bytes + Self.data, path: "h.npy", imageShape: false)
        return (t.shape, t.storage)
    }

    @Test func headersNumpyReads() throws {
        let s = Self.standard
        let cases: [(String, [UInt8], [Int], [Float])] = [
            ("standard", npyFile(s), [2, 2], [1, 2, 3, 4]),
            ("double quotes, no trailing comma", npyFile(#"{"descr": "<f4", "fortran_order": False, "shape": (2, 2)}"#),
             [2, 2], [1, 2, 3, 4]),
            ("keys in another order, Fortran order",
             npyFile("{'shape': (2, 2), 'fortran_order': True, 'descr': '<f4'}"), [2, 2], [1, 3, 2, 4]),
            ("1-D", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"), [4], [1, 2, 3, 4]),
            ("trailing comma in the shape", npyFile(s.replacingOccurrences(of: "(2, 2)", with: "(2, 2,)")),
             [2, 2], [1, 2, 3, 4]),
            ("version 2.0", npyFile(s, major: 2), [2, 2], [1, 2, 3, 4]),
            ("version 3.0", npyFile(s, major: 3), [2, 2], [1, 2, 3, 4]),
            ("aligned on 16 bytes (numpy before 1.14)", npyFile(s, align: 16), [2, 2], [1, 2, 3, 4]),
        ]
        for (name, bytes, shape, values) in cases {
            let got = try decode(bytes)
            #expect(got.shape == shape && got.values == values, "\(name)")
        }
        // A 0-D array: shape ().
        let scalar = try NPYCodec.decode(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (), }")
                                         + Self.data.prefix(4), path: "s.npy", imageShape: false)
        #expect(scalar.shape == [] && scalar.storage == [1])
    }

    @Test func headersNumpyRefuses() {
        let s = Self.standard
        func with(_ a: String, _ b: String) -> [UInt8] { npyFile(s.replacingOccurrences(of: a, with: b)) }
        let cases: [(String, [UInt8], String)] = [
            ("Maybe", with("False", "Maybe"), "'fortran_order' is Maybe, not True or False"),
            ("1", with("False", "1"), "'fortran_order' is 1, not True or False"),
            ("'False'", with("False", "'False'"), "'fortran_order' is 'False', not True or False"),
            ("(4)", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (4), }"),
             "'shape' is (4), not a tuple of non-negative integers"),
            ("list", with("(2, 2)", "[2, 2]"), "expected a value at '[2, 2]"),
            ("float", with("(2, 2)", "(2, 2.0)"), "header value 2.0 is not a decimal integer"),
            ("negative", with("(2, 2)", "(-2, -2)"), "'shape' is (-2, -2), not a tuple of non-negative integers"),
            ("leading zero", with("(2, 2)", "(02, 2)"), "header value 02 is not a decimal integer"),
            ("missing key", npyFile("{'descr': '<f4', 'shape': (2, 2), }"), "header has no 'fortran_order'"),
            ("extra key", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}"),
             "header has an unknown key 'x'"),
            ("not a dict", npyFile("[1, 2]"), "header is not a Python dict literal: expected '{' at '[1, 2]'"),
            ("descr not a string", with("'<f4'", "4"), "'descr' is 4, not a dtype string"),
            ("unclosed", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), "),
             "expected a quoted key or '}' at the end of the header"),
            ("junk after the dict", npyFile(s + " x"), "header has 'x' after its dict"),
            ("version 1.1", npyFile(s, minor: 1), "unsupported format version 1.1"),
            ("version 4.0", npyFile(s, major: 4), "unsupported format version 4.0"),
            ("over 10000 bytes", npyFile(s + String(repeating: " ", count: 10050)),
             "longer than numpy's limit of 10000"),
        ]
        for (name, bytes, reason) in cases {
            do {
                _ = try decode(bytes)
                Issue.record("\(name): decoded")
            } catch {
                let text = "\(error)"
                #expect(text.hasPrefix("h.npy: NPY: ") && text.contains(reason) && !text.contains("\n"),
                        "\(name): \(text)")
            }
        }
    }

    /// numpy reads these, but the format forbids them: refused too.
    @Test func headersTheFormatForbids() {
        let s = Self.standard
        let cases: [(String, [UInt8], String)] = [
            ("no newline", npyFile(s, newline: false), "header does not end with a newline"),
            ("not padded", npyFile(s, pad: false), "header ends at byte 70, not on a multiple of 16"),
            ("a key twice", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'shape': (2, 2)}"),
             "header gives 'shape' twice"),
            ("tab padding", Array(npyFile(s).dropLast(2)) + [0x09, 0x0A], "header has '\\t' after its dict"),
        ]
        for (name, bytes, reason) in cases {
            do {
                _ = try decode(bytes)
                Issue.record("\(name): decoded")
            } catch {
                #expect("\(error)".contains(reason), "\(name): \(error)")
            }
        }
    }

    /// What cnnfilter writes is what numpy writes: 64-byte alignment, a newline last.
    @Test func writtenHeadersFollowTheFormat() throws {
        let t = try NPYCodec.decode(npyFile(Self.standard) + Self.data, path: "x", imageShape: false)
        let bytes = NPYCodec.encode(t)
        #expect(Array(bytes.prefix(80)) == Array(npyFile(Self.standard).prefix(80)))
    }
}
