/// A 2-D convolution layer in the CNN sense (cross-correlation, no flip).
///
/// One type covers both uses of the tool: a plain 2-D kernel applied to every
/// channel on its own (`perChannel`, a depthwise convolution whose group count
/// is the input's channel count) and a bank of 3-D filters with biases that
/// span the input channels (`groups` ≥ 1), as in a CNN layer.
public struct Conv2D: Stage {
    public var filters: Int
    public var inputChannelsPerGroup: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    /// filters × inputChannelsPerGroup × kernelHeight × kernelWidth, row-major.
    public var weights: [Float]
    public var bias: [Float]
    /// nil: the single 2-D filter is applied to each input channel separately.
    public var groups: Int?
    public var strideY = 1, strideX = 1
    public var dilationY = 1, dilationX = 1
    public var padding: PaddingSpec = .same
    public var border: BorderMode = .reflect
    /// Refuse strides that leave input pixels over (explicit padding only; padding may be left over).
    public var exactStride = true
    /// Run a rank-1 per-channel kernel as two 1-D passes.
    public var allowSeparable = true

    /// A 2-D kernel applied to each channel separately.
    public init(perChannel kernel: [Float], height: Int, width: Int, bias: Float = 0) {
        precondition(kernel.count == height * width && height > 0 && width > 0)
        self.filters = 1; self.inputChannelsPerGroup = 1
        self.kernelHeight = height; self.kernelWidth = width
        self.weights = kernel; self.bias = [bias]; self.groups = nil
    }

    /// A bank of `filters` 3-D filters over `inputChannels / groups` channels each.
    public init(bank weights: [Float], filters: Int, inputChannels: Int, height: Int, width: Int,
                bias: [Float]? = nil, groups: Int = 1) {
        precondition(groups >= 1 && inputChannels % groups == 0 && filters % groups == 0)
        let per = inputChannels / groups
        precondition(weights.count == filters * per * height * width, "bank weights do not match their shape")
        self.filters = filters; self.inputChannelsPerGroup = per
        self.kernelHeight = height; self.kernelWidth = width
        self.weights = weights; self.bias = bias ?? [Float](repeating: 0, count: filters)
        precondition(self.bias.count == filters)
        self.groups = groups
    }

    public var summary: String {
        let shape = groups == nil ? "\(kernelHeight)×\(kernelWidth)" : "\(filters)@\(inputChannelsPerGroup)×\(kernelHeight)×\(kernelWidth)"
        return "conv \(shape)"
    }

    public func plan(for input: Shape3) throws -> any PlannedStage {
        let groupCount: Int, outChannels: Int
        if let groups {
            guard input.channels == inputChannelsPerGroup * groups else {
                throw ConvolutionError.channelMismatch(expected: inputChannelsPerGroup * groups, got: input.channels)
            }
            groupCount = groups; outChannels = filters
        } else {
            groupCount = input.channels; outChannels = input.channels
        }
        guard dilationY >= 1, dilationX >= 1 else {
            throw ConvolutionError.invalidParameter("dilation must be at least 1")
        }
        let extentY = (kernelHeight - 1) * dilationY + 1, extentX = (kernelWidth - 1) * dilationX + 1
        let placement = try WindowPlacement(height: input.height, width: input.width, extent: (extentY, extentX),
                                            strides: (strideY, strideX), padding: padding, exact: exactStride)
        let pad = placement.padding, oh = placement.outHeight, ow = placement.outWidth
        // Two 1-D passes pay off once they save half the taps (5×5 and up;
        // a 3×3 Sobel runs faster as 6 taps of one pass than as 3 + 3 in two).
        let worthSplitting = kernelHeight * kernelWidth >= 2 * (kernelHeight + kernelWidth)
        let factors = groups == nil && allowSeparable && worthSplitting
            ? rankOneFactors(weights, height: kernelHeight, width: kernelWidth) : nil
        let per = groups == nil ? 1 : inputChannelsPerGroup
        let tapLists = weights.withUnsafeBufferPointer { w in
            (0..<(filters * per)).map { i in
                taps(of: w.baseAddress! + i * kernelHeight * kernelWidth, kernelHeight: kernelHeight,
                     kernelWidth: kernelWidth, dilation: dilationX)
            }
        }
        let factorTaps = factors.map { f in
            (f.column.enumerated().filter { $0.element != 0 }.map { Tap(row: $0.offset, offset: 0, weight: $0.element) },
             f.row.enumerated().filter { $0.element != 0 }.map { Tap(row: 0, offset: $0.offset * dilationX, weight: $0.element) })
        } ?? ([], [])
        return PlannedConv2D(conv: self, input: input,
                             output: Shape3(channels: outChannels, height: oh, width: ow),
                             padding: pad, groupCount: groupCount, separable: factors, taps: tapLists,
                             separableTaps: factorTaps)
    }
}

struct PlannedConv2D: PlannedStage {
    let conv: Conv2D
    let input: Shape3
    let output: Shape3
    let padding: Padding
    let groupCount: Int
    /// Column and row factors of a rank-1 kernel: k[y][x] = column[y] · row[x].
    let separable: (column: [Float], row: [Float])?
    /// Non-zero taps of each filter's slice per input channel.
    let taps: [[Tap]]
    /// The separable factors as taps: the column factor down rows 0..<kh
    /// (offset 0), the row factor along one row.
    let separableTaps: (column: [Tap], row: [Tap])

    func inputRows(for rows: Range<Int>) -> Range<Int> {
        guard !rows.isEmpty else { return 0..<0 }
        let lo = rows.lowerBound * conv.strideY - padding.top
        let hi = (rows.upperBound - 1) * conv.strideY - padding.top + (conv.kernelHeight - 1) * conv.dilationY + 1
        if lo >= 0 && hi <= input.height { return lo..<hi }
        return coveringRange(lo..<hi, count: input.height, border: conv.border)
    }

    func sourceRow(_ y: Int) -> Int {
        min(max(y * conv.strideY - padding.top + (conv.kernelHeight - 1) * conv.dilationY / 2, 0), input.height - 1)
    }

    func sourceColumn(_ x: Int) -> Int {
        min(max(x * conv.strideX - padding.left + (conv.kernelWidth - 1) * conv.dilationX / 2, 0), input.width - 1)
    }

    /// Row `ky` of the window of output row `y`, or nil for a zero-border row.
    @inline(__always)
    func sourceRow(ofOutput y: Int, tap ky: Int) -> Int? {
        conv.border.index(y * conv.strideY - padding.top + ky * conv.dilationY, count: input.height)
    }

    func forward(_ band: Band, into out: Band, scratch: Scratch) {
        if out.rows == 0 { return }
        if let separable {
            forwardSeparable(band, into: out, scratch: scratch, column: separable.column, row: separable.row)
            return
        }
        let kh = conv.kernelHeight, kw = conv.kernelWidth, area = kh * kw
        let perGroupIn = input.channels / groupCount, perGroupOut = output.channels / groupCount
        let replicated = conv.groups == nil
        let zeros = zeroRow(scratch)
        let interior = interiorColumns(outputWidth: output.width, inputWidth: input.width, kernelWidth: kw,
                                       stride: conv.strideX, dilation: conv.dilationX, padLeft: padding.left)
        let offset = interior.lowerBound * conv.strideX - padding.left
        let edges = edgeColumns(interior)
        conv.weights.withUnsafeBufferPointer { wts in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 2 * kh) { ptrs in
                let starts = ptrs.baseAddress!, shifted = ptrs.baseAddress! + kh
                for o in 0..<output.channels {
                    let g = o / perGroupOut
                    let filter = replicated ? 0 : o
                    for y in out.rowRange {
                        let outRow = out.row(o, y)
                        for ci in 0..<perGroupIn {
                            let c = g * perGroupIn + ci
                            for ky in 0..<kh {
                                let p = sourceRow(ofOutput: y, tap: ky).map { UnsafePointer(band.row(c, $0)) } ?? zeros
                                starts[ky] = p
                                shifted[ky] = p + offset
                            }
                            let wp = wts.baseAddress! + (filter * perGroupIn + ci) * area
                            let initial: Float? = ci == 0 ? conv.bias[filter] : nil
                            for edge in edges {
                                correlateEdges(out: outRow, columns: edge, rows: starts, inputWidth: input.width,
                                               weights: wp, kernelHeight: kh, kernelWidth: kw, stride: conv.strideX,
                                               dilation: conv.dilationX, padLeft: padding.left, border: conv.border,
                                               initial: initial)
                            }
                            if !interior.isEmpty {
                                taps[filter * perGroupIn + ci].withUnsafeBufferPointer { t in
                                    correlateTaps(out: outRow + interior.lowerBound, count: interior.count, rows: shifted,
                                                  taps: t, stride: conv.strideX, initial: initial)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Output columns outside `interior`, which the scalar border path computes.
    func edgeColumns(_ interior: Range<Int>) -> [Range<Int>] {
        interior.isEmpty ? [0..<output.width] : [0..<interior.lowerBound, interior.upperBound..<output.width]
    }

    /// A zero row as wide as any row a window reads, for the zero border.
    func zeroRow(_ scratch: Scratch) -> UnsafePointer<Float> {
        let n = max(input.width, output.width) + 1
        let z = scratch.floats(n, slot: ScratchSlot.zeros)
        z.initialize(repeating: 0, count: n)
        return UnsafePointer(z)
    }

    /// A rank-1 kernel as two 1-D passes per output row: the column factor
    /// down the input rows into one row of scratch (it stays in the L1 cache),
    /// then the row factor along it.
    func forwardSeparable(_ band: Band, into out: Band, scratch: Scratch, column: [Float], row: [Float]) {
        let kh = conv.kernelHeight, kw = conv.kernelWidth, w = input.width
        let interior = interiorColumns(outputWidth: output.width, inputWidth: w, kernelWidth: kw,
                                       stride: conv.strideX, dilation: conv.dilationX, padLeft: padding.left)
        let offset = interior.lowerBound * conv.strideX - padding.left
        let edges = edgeColumns(interior)
        let ld = w + 16
        let tmp = scratch.floats(4 * ld, slot: ScratchSlot.horizontal)
        let zeros = zeroRow(scratch)
        let sy = conv.strideY, dy = conv.dilationY
        row.withUnsafeBufferPointer { rw in
            column.withUnsafeBufferPointer { cw in
                withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: kh + 4) { ptrs in
                    let p = ptrs.baseAddress!, q = ptrs.baseAddress! + kh + 3
                    /// The row factor along `tmp` row `t` into output row `y`.
                    func horizontal(_ t: Int, into dst: UnsafeMutablePointer<Float>) {
                        let rowTaps = separableTaps.row
                        let src = tmp + t * ld
                        q[0] = UnsafePointer(src)
                        for edge in edges {
                            correlateEdges(out: dst, columns: edge, rows: q, inputWidth: w, weights: rw.baseAddress!,
                                           kernelHeight: 1, kernelWidth: kw, stride: conv.strideX, dilation: conv.dilationX,
                                           padLeft: padding.left, border: conv.border, initial: conv.bias[0])
                        }
                        if !interior.isEmpty {
                            q[0] = UnsafePointer(src + offset)
                            rowTaps.withUnsafeBufferPointer { t in
                                correlateTaps(out: dst + interior.lowerBound, count: interior.count, rows: q, taps: t,
                                              stride: conv.strideX, initial: conv.bias[0])
                            }
                        }
                    }
                    for c in 0..<input.channels {
                        var y = out.rowRange.lowerBound
                        while y < out.rowRange.upperBound {
                            // Four rows whose windows are consecutive rows inside the image share their loads.
                            let top = y * sy - padding.top
                            if sy == 1 && dy == 1 && y + 4 <= out.rowRange.upperBound && top >= 0 && top + kh + 3 <= input.height {
                                for i in 0..<(kh + 3) { p[i] = UnsafePointer(band.row(c, top + i)) }
                                verticalFour(out: tmp, ld: ld, count: w, rows: p, weights: cw.baseAddress!, taps: kh)
                                for j in 0..<4 { horizontal(j, into: out.row(c, y + j)) }
                                y += 4
                                continue
                            }
                            for ky in 0..<kh {
                                p[ky] = sourceRow(ofOutput: y, tap: ky).map { UnsafePointer(band.row(c, $0)) } ?? zeros
                            }
                            separableTaps.column.withUnsafeBufferPointer { t in
                                correlateTaps(out: tmp, count: w, rows: p, taps: t, stride: 1, initial: 0)
                            }
                            horizontal(0, into: out.row(c, y))
                            y += 1
                        }
                    }
                }
            }
        }
    }
}

/// Factors of a rank-1 matrix, k = column ⊗ row, when k is one within float
/// rounding (Gaussian, box, Sobel, Prewitt); nil otherwise or when a 1-D
/// kernel gains nothing from two passes.
func rankOneFactors(_ k: [Float], height: Int, width: Int) -> (column: [Float], row: [Float])? {
    guard height > 1 && width > 1 else { return nil }
    guard let pivot = k.indices.max(by: { abs(k[$0]) < abs(k[$1]) }), k[pivot] != 0 else { return nil }
    let py = pivot / width, px = pivot % width
    let row = Array(k[(py * width)..<((py + 1) * width)])
    let column = (0..<height).map { k[$0 * width + px] / k[pivot] }
    let scale = abs(k[pivot])
    for y in 0..<height {
        for x in 0..<width where abs(column[y] * row[x] - k[y * width + x]) > 1e-6 * scale {
            return nil
        }
    }
    return (column, row)
}

/// Lets tools (the benchmark) say whether a planned convolution runs as two 1-D passes.
public protocol SeparableReporting {
    var isSeparable: Bool { get }
}

extension PlannedConv2D: SeparableReporting {
    var isSeparable: Bool { separable != nil }
}
