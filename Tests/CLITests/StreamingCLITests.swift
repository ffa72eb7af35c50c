import Foundation
import ImageCodecs
import FilterPipeline
import Kernels
import Testing

/// The CLI streams PNG and JPEG through rings of rows (decoder, bands and
/// encoder at once); the library's whole-image path is the reference.
@Suite struct StreamingCLITests {
    /// A 2400×400 RGBA image; the runs below shrink the rings' slack
    /// (CNNFILTER_RING_MB) so that input and output are rings of a few bands,
    /// which CNNFILTER_PROFILE reports.
    static let tinyRings = ["CNNFILTER_RING_MB": "0.01", "CNNFILTER_PROFILE": "1"]

    /// Checks from the profile lines that both rings held fewer rows than the image.
    func expectRings(_ stderr: String, output: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let line = stderr.split(separator: "\n").first(where: { $0.contains("rings:") }) else {
            Issue.record("no rings line in \(stderr)", sourceLocation: sourceLocation); return
        }
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        // input N of H rows, output M of OH rows
        #expect(numbers.count >= 4 && numbers[numbers.count - 4] < numbers[numbers.count - 3]
                && (!output || numbers[numbers.count - 2] < numbers[numbers.count - 1]), "\(line)", sourceLocation: sourceLocation)
    }
    static let wide: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cnnfilter-wide-\(getpid()).png").path
        let img = RasterImage(width: 2400, height: 400, channels: 4, bitDepth: 8, hasAlpha: true)
        var s: UInt32 = 7
        for y in 0..<400 {
            let row = img.rowPointer(y).assumingMemoryBound(to: UInt8.self)
            for x in 0..<2400 {
                s = s &* 1664525 &+ 1013904223
                row[4 * x] = UInt8((x + y) / 11 % 256)
                row[4 * x + 1] = UInt8(s >> 24)
                row[4 * x + 2] = UInt8((x * 3) % 256)
                row[4 * x + 3] = UInt8((x / 8 + y / 8) % 2 == 0 ? 255 : (x % 256))
            }
        }
        try! ImageWriter.write(img, format: .png, to: path)
        return path
    }()

    func whole(_ steps: [PipelineSpec.Step], format: ImageFormat, stride: Int = 1) throws -> RasterImage {
        let input = try ImageReader.read(path: Self.wide)
        var spec = PipelineSpec(); spec.steps = steps; spec.strideY = stride; spec.strideX = stride
        guard case .raster(let r) = try FilterJob.run(input, pipeline: try spec.pipeline(library: KernelLibrary(searchPaths: []), inputChannels: 3),
                                                      format: format) else { throw CodecError("x", "no raster") }
        return r
    }

    func pixels(_ r: RasterImage) -> [Int] {
        var out: [Int] = []
        for y in 0..<r.height { for x in 0..<r.width { for c in 0..<r.channels { out.append(r.sample(y, x, c)) } } }
        return out
    }

    @Test(arguments: [
        (["--kernel", "laplacian"], [PipelineSpec.Step.kernel("laplacian")], 1),
        (["--kernel", "gaussian:sigma=4", "--stride", "2"], [.kernel("gaussian:sigma=4")], 2),
        (["--kernel", "sobel-x", "--activation", "relu", "--pool", "max:3:2"], [.kernel("sobel-x"), .activation("relu"), .pool("max:3:2")], 1),
    ])
    func pngStreamsEqualTheWholeImagePath(args: [String], steps: [PipelineSpec.Step], stride: Int) throws {
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("o.png").path
        let r = try CLI.run([Self.wide] + args + ["-o", out], env: Self.tinyRings)
        #expect(r.status == 0, "\(r.stderr)")
        // Halved outputs are shorter than the PNG encoder's window: only the input is a ring.
        expectRings(r.stderr, output: stride == 1 && steps.count == 1)
        guard case .raster(let got) = try ImageReader.read(path: out) else { return }
        let want = try whole(steps, format: .png, stride: stride)
        #expect(got.width == want.width && got.height == want.height && got.channels == 4)
        #expect(pixels(got) == pixels(want))
    }

    @Test func jpegStreamsEqualTheWholeImagePath() throws {
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("o.jpg").path
        let r = try CLI.run([Self.wide, "--kernel", "sharpen", "-o", out], env: Self.tinyRings)
        #expect(r.status == 0)
        expectRings(r.stderr)
        let ref = dir.appendingPathComponent("ref.jpg").path
        try ImageWriter.write(try whole([.kernel("sharpen")], format: .jpeg), format: .jpeg, to: ref)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: ref)))
    }
}
