import Testing
@testable import Convolution
import Tensors

/// Runs a plan band by band with a given band height, as the CLI does:
/// input rows converted into scratch memory, output bands handed to a sink.
func runBanded(_ plan: PipelinePlan, _ x: Tensor, bandRows: Int) -> Tensor {
    let out = plan.output
    let result = Collector(count: out.count)
    let (c, h, w) = x.planes
    plan.run(bandRows: bandRows, source: { rows, scratch in
        precondition(rows.lowerBound >= 0 && rows.upperBound <= h, "source asked for \(rows) of \(h) rows")
        let b = scratch.band(channels: c, firstRow: rows.lowerBound, rows: rows.count, width: w, slot: ScratchSlot.source)
        for ch in 0..<c { for y in rows { for xx in 0..<w { b.row(ch, y)[xx] = x[ch, y, xx] } } }
        return b
    }, sink: { band in
        for ch in 0..<band.channels { for y in band.rowRange { for xx in 0..<band.width {
            result.set((ch * out.height + y) * out.width + xx, band.row(ch, y)[xx])
        } } }
    })
    return Tensor(shape: [out.channels, out.height, out.width], values: result.values)
}

/// Output memory that bands from several threads write into.
final class Collector: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Float>
    init(count: Int) { buffer = .allocate(capacity: count); buffer.initialize(repeating: .nan) }
    deinit { buffer.deallocate() }
    func set(_ i: Int, _ v: Float) { buffer[i] = v }
    var values: [Float] { Array(buffer) }
}

@Suite struct ConvolutionPropertyTests {
    @Test func borderModesMatchTheirDefinitions() {
        // n = 4: pixels a b c d at 0...3
        #expect((-3...6).map { BorderMode.reflect.index($0, count: 4)! } == [3, 2, 1, 0, 1, 2, 3, 2, 1, 0])
        #expect((-2...5).map { BorderMode.replicate.index($0, count: 4)! } == [0, 0, 0, 1, 2, 3, 3, 3])
        #expect((-2...5).map { BorderMode.wrap.index($0, count: 4)! } == [2, 3, 0, 1, 2, 3, 0, 1])
        #expect(BorderMode.zero.index(-1, count: 4) == nil && BorderMode.zero.index(4, count: 4) == nil)
        #expect(BorderMode.reflect.index(-5, count: 1) == 0)
    }

    @Test func samePaddingFollowsTheTensorFlowRule() {
        #expect(samePadding(size: 7, extent: 3, stride: 1) == (1, 1))
        #expect(samePadding(size: 3, extent: 2, stride: 1) == (0, 1))
        #expect(samePadding(size: 8, extent: 3, stride: 2) == (0, 1))
        #expect(samePadding(size: 7, extent: 5, stride: 1) == (2, 2))
    }

    /// Random shapes, kernels, strides, dilations, paddings, borders, groups
    /// and band heights: the engine equals the naive definition.
    @Test(arguments: 0..<12)
    func engineMatchesNaiveReference(seed: Int) throws {
        var r = Rand(state: UInt64(seed) &* 7919 &+ 17)
        for _ in 0..<25 {
            let border = ["reflect", "replicate", "zero", "wrap"][r.int(0...3)]
            let h = r.int(1...40), w = r.int(1...70)
            let kh = r.int(1...5), kw = r.int(1...5)
            let stride = r.int(1...3), dilation = r.int(1...2)
            let perChannel = r.int(0...1) == 0
            let channels = r.int(1...4)
            let x = r.tensor([channels, h, w])
            var conv: Conv2D
            let groups: Int, filters: Int, perGroupIn: Int
            if perChannel {
                // Half of the per-channel kernels are rank 1, which the engine runs as two 1-D passes.
                var k = r.tensor([kh * kw]).storage
                if r.int(0...1) == 0 {
                    let col = r.tensor([kh]).storage, row = r.tensor([kw]).storage
                    k = col.flatMap { a in row.map { a * $0 } }
                }
                conv = Conv2D(perChannel: k, height: kh, width: kw, bias: r.float())
                groups = channels; filters = channels; perGroupIn = 1
            } else {
                groups = [1, channels][r.int(0...1)]
                perGroupIn = channels / groups
                filters = groups * r.int(1...3)
                conv = Conv2D(bank: r.tensor([filters * perGroupIn * kh * kw]).storage, filters: filters,
                              inputChannels: channels, height: kh, width: kw, bias: r.tensor([filters]).storage, groups: groups)
            }
            conv.strideX = stride; conv.strideY = stride
            conv.dilationX = dilation; conv.dilationY = dilation
            conv.border = BorderMode(rawValue: border)!
            conv.exactStride = false
            let padChoice = r.int(0...2)
            let eh = (kh - 1) * dilation + 1, ew = (kw - 1) * dilation + 1
            var pad: (t: Int, b: Int, l: Int, r: Int)
            switch padChoice {
            case 0:
                conv.padding = .same
                let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride
                let th = max((oh - 1) * stride + eh - h, 0), tw = max((ow - 1) * stride + ew - w, 0)
                pad = (th / 2, th - th / 2, tw / 2, tw - tw / 2)
            case 1:
                conv.padding = .valid; pad = (0, 0, 0, 0)
            default:
                let p = r.int(0...4); conv.padding = .pixels(p); pad = (p, p, p, p)
            }
            if h + pad.t + pad.b < eh || w + pad.l + pad.r < ew {
                #expect(throws: ConvolutionError.self) { try conv.plan(for: Shape3(channels: channels, height: h, width: w)) }
                continue
            }
            let weights = perChannel ? Array((0..<channels).flatMap { _ in conv.weights }) : conv.weights
            let biases = perChannel ? [Float](repeating: conv.bias[0], count: channels) : conv.bias
            let expected = naiveConv(x, weights: weights, filters: filters, perGroupIn: perGroupIn, kh: kh, kw: kw, bias: biases,
                                     groups: groups, stride: stride, dilation: dilation, pad: pad, border: border)
            let plan = try Pipeline([conv]).plan(for: Shape3(channels: channels, height: h, width: w))
            #expect(plan.output == Shape3(channels: filters, height: expected.shape[1], width: expected.shape[2]))
            let whole = plan.apply(x)
            let banded = runBanded(plan, x, bandRows: r.int(1...7))
            let context = "h=\(h) w=\(w) k=\(kh)x\(kw) s=\(stride) d=\(dilation) pad=\(pad) border=\(border) groups=\(groups) perChannel=\(perChannel)"
            #expect(whole.maxAbsDifference(expected) < 1e-4, "\(context)")
            #expect(banded.maxAbsDifference(expected) < 1e-4, "banded: \(context)")
        }
    }

    /// A chain (conv, activation, pool, conv) computed band by band equals
    /// the stages applied one after another to whole tensors.
    @Test(arguments: [1, 2, 3, 5, 16])
    func chainedStagesMatchStageByStage(bandRows: Int) throws {
        var r = Rand(state: 99)
        let x = r.tensor([3, 37, 53])
        var c1 = Conv2D(perChannel: r.tensor([9]).storage, height: 3, width: 3)
        c1.border = .wrap
        var c2 = Conv2D(bank: r.tensor([2 * 3 * 25]).storage, filters: 2, inputChannels: 3, height: 5, width: 5)
        c2.border = .reflect; c2.strideX = 2; c2.strideY = 2
        let stages: [any Stage] = [c1, Activation(.leakyRelu(slope: 0.1)), Pool2D(.max, size: 2), c2, Activation(.sigmoid), Pool2D(.avg, size: 3, stride: 1)]
        var stepwise = x
        for s in stages { stepwise = try Pipeline([s]).plan(for: shape(stepwise)).apply(stepwise) }
        let plan = try Pipeline(stages).plan(for: shape(x))
        #expect(runBanded(plan, x, bandRows: bandRows).maxAbsDifference(stepwise) < 1e-5)
    }

    @Test func rankOneKernelsAreFoundAndOthersAreNot() {
        #expect(rankOneFactors([1, 2, 1, 2, 4, 2, 1, 2, 1], height: 3, width: 3) != nil)       // Gaussian
        #expect(rankOneFactors([1, 0, -1, 2, 0, -2, 1, 0, -1], height: 3, width: 3) != nil)    // Sobel
        #expect(rankOneFactors([-1, -1, -1, -1, 8, -1, -1, -1, -1], height: 3, width: 3) == nil) // Laplacian
        #expect(rankOneFactors([0, 0, 0, 0, 0, 0, 0, 0, 0], height: 3, width: 3) == nil)
        #expect(rankOneFactors([1, 2, 3], height: 1, width: 3) == nil) // already 1-D
        let f = rankOneFactors([2, 4, 6, 3, 6, 9], height: 2, width: 3)!
        for y in 0..<2 { for x in 0..<3 { #expect(abs(f.column[y] * f.row[x] - [2, 4, 6, 3, 6, 9][y * 3 + x]) < 1e-6) } }
    }

    @Test func poolingFloorsAndAverages() throws {
        let x = Tensor(shape: [1, 3, 5], values: (0..<15).map(Float.init))
        let avg = try Pipeline([Pool2D(.avg, size: 2)]).plan(for: shape(x)).apply(x)
        #expect(avg.shape == [1, 1, 2])
        let expected: [Float] = [3, 5] // (0+1+5+6)/4, (2+3+7+8)/4; column 4 is dropped
        #expect(avg.storage == expected)
    }

    @Test func activationsFollowTheirFormulas() throws {
        let x = Tensor(shape: [1, 1, 4], values: [-2, -0.5, 0, 3])
        func run(_ a: Activation) throws -> [Float] { try Pipeline([a]).plan(for: shape(x)).apply(x).storage }
        #expect(try run(Activation(.relu)) == [0, 0, 0, 3])
        #expect(try run(Activation(.leakyRelu(slope: 0.1))) == [-0.2, -0.05, 0, 3])
        let s = try run(Activation(.sigmoid))
        #expect(abs(s[0] - 0.11920292) < 1e-6 && s[2] == 0.5)
        let t = try run(Activation(.tanh))
        #expect(abs(t[3] - 0.99505475) < 1e-6 && t[2] == 0)
    }
}

func shape(_ t: Tensor) -> Shape3 { let p = t.planes; return Shape3(channels: p.channels, height: p.height, width: p.width) }
