import XCTest
@testable import Training

final class ArchitectureTests: XCTestCase {
    /// The notes' LeNet-5 (E7): 28×28×6, 14×14×6, 10×10×16, 5×5×16, 120, 84, 10
    /// and 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 parameters.
    func testLeNet5MatchesTheNotes() throws {
        let net = try Architecture.parse(Architecture.lenet5, source: "lenet5").build(input: [1, 28, 28], classes: 10, labels: [], seed: 1)
        let byName = Dictionary(uniqueKeysWithValues: zip(net.names, net.shapes))
        XCTAssertEqual(byName["C1"], [6, 28, 28]); XCTAssertEqual(byName["S2"], [6, 14, 14])
        XCTAssertEqual(byName["C3"], [16, 10, 10]); XCTAssertEqual(byName["S4"], [16, 5, 5])
        XCTAssertEqual(byName["C5"], [120, 1, 1]); XCTAssertEqual(byName["F6"], [84]); XCTAssertEqual(byName["output"], [10])
        XCTAssertEqual(net.trainableCount, 61_706)
        // The 32×32 input of the notes without C1's padding gives the same shapes.
        let unpadded = Architecture.lenet5.replacingOccurrences(of: "conv 6 5 pad=2", with: "conv 6 5")
        let net32 = try Architecture.parse(unpadded, source: "x").build(input: [1, 32, 32], classes: 10, labels: [], seed: 1)
        XCTAssertEqual(net32.shapes, net.shapes)
    }

    func testErrorsNameTheLine() {
        let cases: [(String, String)] = [
            ("conv 8 3\nrelu\nmaxpol 2\n", "net.arch:3: unknown layer 'maxpol'"),
            ("conv 8\n", "net.arch:1: 'conv' needs a kernel size"),
            ("conv x 3\n", "net.arch:1: 'x' is not a filter count"),
            ("conv 8 3 strid=2\n", "net.arch:1: 'conv' has no option 'strid'"),
            ("dropout 1.5\n", "net.arch:1: dropout probability '1.5'"),
            ("# nothing\n", "net.arch: no layers"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try Architecture.parse(text, source: "net.arch")) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(error)")
            }
        }
    }

    func testShapeErrorsNameTheLine() throws {
        let tooSmall = try Architecture.parse("conv 8 3\nmaxpool 2\nconv 8 5\nlinear classes\n", source: "net.arch")
        XCTAssertThrowsError(try tooSmall.build(input: [1, 8, 8], classes: 4, labels: [], seed: 1)) { error in
            XCTAssertTrue("\(error)".hasPrefix("net.arch:3: 'conv 8 5': a 5×5 kernel does not fit a 3×3 input"), "\(error)")
        }
        let wrongEnd = try Architecture.parse("conv 8 3\nlinear 7\n", source: "net.arch")
        XCTAssertThrowsError(try wrongEnd.build(input: [1, 8, 8], classes: 4, labels: [], seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("ends in 7 values but the data has 4 classes"), "\(error)")
        }
        let groups = try Architecture.parse("conv 6 3 groups=4\nlinear classes\n", source: "g.arch")
        XCTAssertThrowsError(try groups.build(input: [4, 8, 8], classes: 2, labels: [], seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("do not split into 4 groups"), "\(error)")
        }
    }

    /// A network's own description parses back into the same network.
    func testArchitectureRoundTrips() throws {
        let text = "conv 8 3x5 stride=2 pad=1 dilation=1 groups=1 bias=no name=first\nbn\nleakyrelu 0.2\navgpool 2 stride=1\ndropout 0.25\nlinear 5\nsigmoid\nlinear classes\n"
        let net = try Architecture.parse(text, source: "a").build(input: [3, 16, 16], classes: 3, labels: [], seed: 2)
        let again = try Architecture.parse(net.architecture!, source: "b").build(input: [3, 16, 16],
                                                                                 classes: 3, labels: [], seed: 2)
        XCTAssertEqual(net.architecture, again.architecture)
        XCTAssertEqual(net.shapes, again.shapes)
        XCTAssertEqual(net.parameters.map(\.value), again.parameters.map(\.value))
        XCTAssertEqual(net.names.first, "first")
    }
}
