import Convolution
import FilterPipeline
import Foundation
import ImageCodecs
import Kernels
import Testing
import Tensors

/// Shipped kernels on a real photo against scipy.ndimage.correlate
/// (scripts/make-fixtures.py): float results within float rounding, 8-bit
/// images within one grey level.
struct ReferenceCase: Decodable, CustomTestStringConvertible, Sendable {
    let kernel: String, input: String
    let expected_png: String?, expected_npy: String
    let border: String
    let stride: Int?, dilation: Int?
    let padding: PaddingValue?
    var testDescription: String { "\(kernel) \(border) s\(stride ?? 1) d\(dilation ?? 1) \(expected_npy)" }

    enum PaddingValue: Decodable, Sendable {
        case name(String), pixels(Int)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self) { self = .pixels(n) } else { self = .name(try c.decode(String.self)) }
        }
    }

    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reference")
    static let all: [ReferenceCase] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode([ReferenceCase].self, from: data)
    }()

    func path(_ name: String) -> String { Self.dir.appendingPathComponent(name).path }

    func pipeline(channels: Int) throws -> Pipeline {
        var spec = PipelineSpec()
        spec.steps = [.kernel(kernel)]
        spec.border = BorderMode(rawValue: border)!
        spec.strideY = stride ?? 1; spec.strideX = stride ?? 1
        spec.dilationY = dilation ?? 1; spec.dilationX = dilation ?? 1
        if case .pixels(let n) = padding { spec.padding = .pixels(n) }
        var p = try spec.pipeline(library: KernelLibrary(searchPaths: []), inputChannels: channels)
        if case .pixels = padding {
            // The fixture floors a stride that leaves a pixel over (PyTorch's rule).
            var conv = p.stages[0] as! Conv2D
            conv.exactStride = false
            p = Pipeline([conv])
        }
        return p
    }
}

@Suite struct ReferenceFixtureTests {
    @Test func everyShippedKernelHasAReference() {
        let covered = Set(ReferenceCase.all.filter { $0.expected_png != nil }.map(\.kernel))
        #expect(covered == Set(BuiltinKernels.files.keys))
    }

    @Test(arguments: ReferenceCase.all)
    func floatResultsMatchScipy(_ c: ReferenceCase) throws {
        let input = try ImageReader.read(path: c.path(c.input))
        guard case .raster(let r) = input else { Issue.record("not an image"); return }
        guard case .tensor(let got) = try FilterJob.run(input, pipeline: try c.pipeline(channels: r.colourChannels), format: .npy) else {
            Issue.record("no tensor"); return
        }
        guard case .tensor(let want) = try ImageReader.read(path: c.path(c.expected_npy)) else { Issue.record("npy"); return }
        #expect(got.shape == want.shape)
        if got.shape == want.shape { #expect(got.maxAbsDifference(want) < 2e-6) }
    }

    @Test(arguments: ReferenceCase.all.filter { $0.expected_png != nil })
    func eightBitImagesWithinOneGreyLevel(_ c: ReferenceCase) throws {
        let input = try ImageReader.read(path: c.path(c.input))
        guard case .raster(let r) = input,
              case .raster(let got) = try FilterJob.run(input, pipeline: try c.pipeline(channels: r.colourChannels), format: .png),
              case .raster(let want) = try ImageReader.read(path: c.path(c.expected_png!)) else { Issue.record("decode"); return }
        #expect(got.width == want.width && got.height == want.height && got.channels == want.channels)
        var worst = 0
        for y in 0..<got.height { for x in 0..<got.width { for ch in 0..<got.channels {
            worst = max(worst, abs(got.sample(y, x, ch) - want.sample(y, x, ch)))
        } } }
        #expect(worst <= 1, "largest difference \(worst) grey levels")
    }

    @Test func identityReturnsTheImageBitForBit() throws {
        for name in ["chelsea.png", "rocket.jpg"] {
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../images/\(name)").standardized.path
            let input = try ImageReader.read(path: path)
            guard case .raster(let r) = input else { return }
            var spec = PipelineSpec(); spec.steps = [.kernel("identity")]
            guard case .raster(let out) = try FilterJob.run(input, pipeline: try spec.pipeline(library: KernelLibrary(searchPaths: []), inputChannels: 3), format: .png) else { return }
            #expect(memcmp(out.samples.bytes, r.samples.bytes, r.samples.count) == 0, "\(name)")
        }
    }

    @Test func sixteenBitStaysSixteenBitAndAlphaIsCarried() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../ImageCodecsTests/Fixtures/codecs").standardized
        let input = try ImageReader.read(path: dir.appendingPathComponent("rgba16.png").path)
        guard case .raster(let r) = input else { return }
        var spec = PipelineSpec(); spec.steps = [.kernel("gaussian")]
        let p = try spec.pipeline(library: KernelLibrary(searchPaths: []), inputChannels: r.colourChannels)
        guard case .raster(let out) = try FilterJob.run(input, pipeline: p, format: .png) else { return }
        #expect(out.bitDepth == 16 && out.channels == 4)
        for y in 0..<r.height { for x in 0..<r.width { #expect(out.sample(y, x, 3) == r.sample(y, x, 3)) } }
        var drop = FilterSettings(); drop.keepAlpha = false; drop.outputBitDepth = 8
        guard case .raster(let eight) = try FilterJob.run(input, pipeline: p, format: .png, settings: drop) else { return }
        #expect(eight.bitDepth == 8 && eight.channels == 3)
    }

    @Test func mappingsTurnSignedResultsIntoPixels() throws {
        let t = Tensor(shape: [1, 1, 4], values: [-1, -0.5, 0.5, 2])
        func pixels(_ m: PixelMapping) throws -> [Int] {
            var s = FilterSettings(); s.mapping = m
            guard case .raster(let r) = try FilterJob.run(.tensor(t), pipeline: Pipeline([]), format: .png, settings: s) else { return [] }
            return (0..<4).map { r.sample(0, $0, 0) }
        }
        #expect(try pixels(.clamp) == [0, 0, 128, 255])
        #expect(try pixels(.abs) == [255, 128, 128, 255])
        #expect(try pixels(.offset) == [0, 64, 191, 255])
        #expect(try pixels(.normalize) == [0, 43, 128, 255]) // (v + 1) / 3
    }
}
