import Foundation
import ImageCodecs
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

    /// A bank of 3-D filters in dump-activations: one map per filter over the photo's colour channels, no padding.
    /// Expected values: scripts/filter3d-reference.py (numpy), which also wrote images/worked/rgb6.png.
    @Test func dumpActivationsRunsABankOverTheColourChannels() throws {
        let dir = try CLI.tempDir()
        let r = try CLI.run(["dump-activations", "--kernel", CLI.image("worked/e4.kernel"),
                             CLI.image("worked/rgb6.png"), "-o", dir.path, "--npy"])
        #expect(r.status == 0, "\(r.stderr)")
        let path = dir.appendingPathComponent("filters.npy").path
        let t = try NPYCodec.decode(try ImageReader.readBytes(path), path: path, imageShape: false)
        #expect(t.shape.suffix(3) == [2, 4, 4], "\(t.shape)")
        let expected: [Float] = [
            -1.27451, -1.50980, -2.68627, -0.52941, -1.62745, -2.60784, -1.78431, -2.33333,
            -2.56863, -0.68627, -1.11765, -2.33333, 0.37255, -0.64706, -0.84314, -2.21569,
            -3.56863, -5.25490, -3.88235, -2.86275, -1.68627, -3.52941, -2.39216, -4.90196,
            -2.27451, -2.82353, -2.54902, -1.41176, -2.07843, -3.49020, -3.52941, -4.07843]
        #expect(t.storage.count == expected.count)
        #expect(zip(t.storage, expected).allSatisfy { abs($0 - $1) < 1e-4 }, "\(t.storage)")
    }
}
