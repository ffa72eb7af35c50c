import Foundation
import Testing

/// An inline 3-D filter (`|` between the channel slices) gives one map, the sum over the channels.
/// Expected values: scripts/filter3d-reference.py (numpy) on the notes' E4 input and E4's first filter.
@Suite struct InlineFilter3DCLITests {
    let w0 = "0 0 -1; -1 0 0; -1 -1 -1 | 1 1 -1; 0 0 0; -1 1 1 | -1 -1 -1; 0 1 1; 0 -1 0"

    @Test func threeSlicesOnThreeChannelsGiveOneMap() throws {
        let r = try CLI.run([CLI.image("worked/e4.txt"), "--kernel", w0, "--padding", "valid", "--print"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text == "-5 -6 -6\n-6 -8 -7\n-8 -8  1\n" || r.text == "-5 -6 -6\n-6 -8 -7\n-8 -8 1\n", "\(r.text)")
    }

    @Test func aWrongSliceCountIsRefusedNamingBothNumbers() throws {
        let r = try CLI.run([CLI.image("worked/e2.txt"), "--kernel", "1 0; 0 1 | 0 1; 1 0 | 1 1; 1 1", "--print"])
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("3 input channels") && r.stderr.contains("has 1"), "\(r.stderr)")
    }
}
