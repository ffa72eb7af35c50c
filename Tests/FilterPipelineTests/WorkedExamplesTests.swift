import Testing
import Convolution
import FilterPipeline
import Kernels
import Tensors

/// Every worked example of the lecture notes (WORKED_EXAMPLES.md), with the
/// expected numbers typed from the notes, not computed.
@Suite struct WorkedExamplesTests {
    let library = KernelLibrary(searchPaths: [])

    func run(_ input: [[Float]], _ steps: [PipelineSpec.Step], padding: PaddingSpec = .same, border: BorderMode = .reflect,
             stride: Int = 1) throws -> [[Float]] {
        let x = Tensor(channels: [input])
        var spec = PipelineSpec()
        spec.steps = steps; spec.padding = padding; spec.border = border
        spec.strideY = stride; spec.strideX = stride
        let p = try spec.pipeline(library: library, inputChannels: 1).plan(for: Shape3(channels: 1, height: input.count, width: input[0].count))
        return p.apply(x).rows(channel: 0)
    }

    let xKernel = PipelineSpec.Step.kernel("1 0 1; 0 1 0; 1 0 1")

    @Test func e1BinaryImageWithXKernel() throws {
        let image: [[Float]] = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
        #expect(try run(image, [xKernel], padding: .valid) == [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    }

    @Test func e2EvenKernelValidAndZeroPadded() throws {
        let input: [[Float]] = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
        #expect(try run(input, [.kernel("0 1; 2 3")], padding: .valid) == [[19, 25], [37, 43]])
        #expect(try run(input, [.kernel("0 1; 2 3")], padding: .pixels(1), border: .zero)
                == [[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]])
    }

    /// PipelineSpec's own defaults: a number of pixels pads with zeros, `same` reflects.
    @Test func e2NumericPaddingIsZeroByDefault() throws {
        var spec = PipelineSpec()
        spec.steps = [.kernel("0 1; 2 3")]
        #expect(spec.resolvedBorder == .reflect)
        spec.padding = .pixels(1)
        #expect(spec.resolvedBorder == .zero)
        let x = Tensor(channels: [[[0, 1, 2], [3, 4, 5], [6, 7, 8]]])
        let shape = Shape3(channels: 1, height: 3, width: 3)
        #expect(try spec.pipeline(library: library, inputChannels: 1).plan(for: shape).apply(x).rows(channel: 0)
                == [[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]])
        // d2l's stride 3 vertically, 2 horizontally (hand-computed rows 0 and 3, columns 0 and 2 of the above)
        spec.strideY = 3; spec.strideX = 2
        #expect(try spec.pipeline(library: library, inputChannels: 1).plan(for: shape).apply(x).rows(channel: 0)
                == [[0, 8], [6, 8]])
        spec.border = .reflect
        #expect(spec.resolvedBorder == .reflect)
    }

    @Test func paddingStrideAndPoolTexts() throws {
        #expect(try PipelineSpec.padding("same") == .same)
        #expect(try PipelineSpec.padding("2") == .pixels(2))
        #expect(try PipelineSpec.padding("1x2") == .explicit(Padding(top: 1, bottom: 1, left: 2, right: 2)))
        #expect(try PipelineSpec.padding("1,2,3,4") == .explicit(Padding(top: 1, bottom: 2, left: 3, right: 4)))
        for bad in ["-1", "1,2", "1x-2", "x", "1,2,3,-4", "1x2x3"] {
            #expect(throws: SpecError.self, "\(bad)") { try PipelineSpec.padding(bad) }
        }
        #expect(try PipelineSpec.axes("3x2", option: "--stride") == (3, 2))
        #expect(try PipelineSpec.axes("4", option: "--stride") == (4, 4))
        #expect(throws: SpecError.self) { try PipelineSpec.axes("3x", option: "--stride") }
        let p = try PipelineSpec.pool("max:1x2")
        #expect((p.height, p.width, p.strideY, p.strideX) == (1, 2, 1, 2))
        let q = try PipelineSpec.pool("avg:3x2:1")
        #expect((q.height, q.width, q.strideY, q.strideX) == (3, 2, 1, 1))
    }

    @Test func e3SevenBySevenWithXKernel() throws {
        let image: [[Float]] = [
            [0, 1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 0, 0], [0, 0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 0, 0],
            [0, 0, 1, 1, 0, 0, 0], [0, 1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0],
        ]
        #expect(try run(image, [xKernel], padding: .valid)
                == [[1, 4, 3, 4, 1], [1, 2, 4, 3, 3], [1, 2, 3, 4, 1], [1, 3, 3, 1, 1], [3, 3, 1, 1, 0]])
    }

    @Test func e4MultiChannelLayerWithBiases() throws {
        let x = Tensor(channels: [
            [[1, 2, 0, 0, 0], [2, 2, 0, 0, 0], [2, 2, 2, 1, 0], [1, 0, 0, 2, 0], [1, 1, 0, 1, 0]],
            [[1, 0, 0, 1, 0], [1, 0, 0, 0, 1], [0, 0, 1, 2, 0], [0, 1, 0, 1, 0], [1, 1, 1, 1, 2]],
            [[0, 0, 2, 2, 2], [1, 2, 2, 2, 0], [1, 1, 1, 1, 0], [1, 2, 0, 0, 0], [2, 2, 2, 1, 0]],
        ])
        let bank = try KernelParser.parse("""
            filter bias=1
             0  0 -1
            -1  0  0
            -1 -1 -1

             1  1 -1
             0  0  0
            -1  1  1

            -1 -1 -1
             0  1  1
             0 -1  0
            filter bias=0
            -1  0  0
             1 -1 -1
             0  0 -1

            -1  0  1
             1 -1  1
            -1  0  1

            -1 -1 -1
            -1  1 -1
             0  1 -1
            """, source: "e4")
        var conv = bank.conv()
        conv.padding = .pixels(1); conv.border = .zero; conv.strideX = 2; conv.strideY = 2
        let out = try Pipeline([conv]).plan(for: Shape3(channels: 3, height: 5, width: 5)).apply(x)
        #expect(out.shape == [2, 3, 3])
        #expect(out.rows(channel: 0) == [[-3, -1, 4], [-2, -7, -4], [1, -1, 1]])
        #expect(out.rows(channel: 1) == [[-7, 3, 1], [-7, -11, -1], [-4, -2, -4]])
        #expect(bank.parameterCount == 2 * (3 * 3 * 3 + 1))
    }

    @Test func e5MaxPooling() throws {
        #expect(try run([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], [.pool("max:2")]) == [[6, 8], [3, 4]])
        #expect(try run([[0, 1, 2], [3, 4, 5], [6, 7, 8]], [.pool("max:2:1")]) == [[4, 5], [7, 8]])
    }

    @Test func e6OutputSizesAndParameterCounts() throws {
        func size(_ n: Int, _ f: Int, stride: Int, padding: PaddingSpec) throws -> Int {
            var conv = Conv2D(perChannel: [Float](repeating: 1, count: f * f), height: f, width: f)
            conv.strideX = stride; conv.strideY = stride; conv.padding = padding
            return try conv.plan(for: Shape3(channels: 1, height: n, width: n)).output.height
        }
        #expect(try size(7, 3, stride: 1, padding: .valid) == 5)
        #expect(try size(7, 3, stride: 2, padding: .valid) == 3)
        #expect(try size(7, 3, stride: 1, padding: .pixels(1)) == 7)
        #expect(throws: ConvolutionError.strideDoesNotFit(axis: "height", size: 7, kernel: 3, padding: 0, stride: 3)) {
            try size(7, 3, stride: 3, padding: .valid)
        }
        // Padded 8 + 2: windows at 0, 3, 6 leave over only the last padding pixel; padded 9 + 2
        // leaves over an input pixel too.
        #expect(try size(8, 3, stride: 3, padding: .pixels(1)) == 3)
        #expect(throws: ConvolutionError.strideDoesNotFit(axis: "height", size: 9, kernel: 3, padding: 2, stride: 3)) {
            try size(9, 3, stride: 3, padding: .pixels(1))
        }
        // 32×32×3, ten 5×5 filters, stride 1, pad 2 → 32×32×10; 76 parameters each, 760 in all.
        let ten = KernelFile(name: "ten", filters: (0..<10).map { _ in
            .init(slices: Array(repeating: Array(repeating: Array(repeating: 1, count: 5), count: 5), count: 3))
        }, origin: "test")
        var conv = ten.conv()
        conv.padding = .pixels(2)
        #expect(try conv.plan(for: Shape3(channels: 3, height: 32, width: 32)).output == Shape3(channels: 10, height: 32, width: 32))
        #expect(ten.parameterCount == 760)
        #expect(ten.parameterCount / 10 == 5 * 5 * 3 + 1)
        // Pooling: W2 = floor((W1 - F) / S) + 1, depth unchanged.
        #expect(try Pool2D(.max, size: 3, stride: 2).plan(for: Shape3(channels: 4, height: 8, width: 8)).output
                == Shape3(channels: 4, height: 3, width: 3))
    }

    @Test func e7LeNet5Shapes() throws {
        func bank(_ filters: Int, _ inputs: Int, _ k: Int) -> Conv2D {
            var c = Conv2D(bank: [Float](repeating: 0.01, count: filters * inputs * k * k), filters: filters,
                           inputChannels: inputs, height: k, width: k)
            c.padding = .valid
            return c
        }
        var shapes: [Shape3] = []
        var shape = Shape3(channels: 1, height: 32, width: 32)
        for stage in [bank(6, 1, 5), Pool2D(.max, size: 2), bank(16, 6, 5), Pool2D(.max, size: 2), bank(120, 16, 5)] as [any Stage] {
            shape = try stage.plan(for: shape).output
            shapes.append(shape)
        }
        #expect(shapes == [Shape3(channels: 6, height: 28, width: 28), Shape3(channels: 6, height: 14, width: 14),
                           Shape3(channels: 16, height: 10, width: 10), Shape3(channels: 16, height: 5, width: 5),
                           Shape3(channels: 120, height: 1, width: 1)])
        // The seeds' PyTorch variant on 28×28 MNIST ends in 4·4·20 = 320 features.
        let variant = try Pipeline([bank(20, 1, 5), Pool2D(.max, size: 2), bank(20, 20, 5), Pool2D(.max, size: 2)])
            .plan(for: Shape3(channels: 1, height: 28, width: 28)).output
        #expect(variant.count == 320)
    }

    @Test func e8SharpenSharpensAndLaplacianFindsEdges() throws {
        // A soft step from 0.2 to 0.8: sharpen steepens it (over- and undershoot),
        // the Laplacian is zero on the flat parts.
        let row: [Float] = [0.2, 0.2, 0.2, 0.4, 0.6, 0.8, 0.8, 0.8]
        let image = Array(repeating: row, count: 5)
        let sharp = try run(image, [.kernel("sharpen")])[2]
        #expect(sharp[2] < 0.2 && sharp[5] > 0.8)
        #expect(abs(sharp[0] - 0.2) < 1e-6 && abs(sharp[7] - 0.8) < 1e-6)
        let lap = try run(image, [.kernel("laplacian-4")])[2]
        #expect(abs(lap[0]) < 1e-6 && abs(lap[7]) < 1e-6 && lap[2] > 0 && lap[5] < 0)
    }
}
