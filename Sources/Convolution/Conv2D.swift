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
    /// Refuse strides that leave input pixels over (explicit padding only).
    public var exactStride = true

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
        let pad: Padding
        switch padding {
        case .same:
            let v = samePadding(size: input.height, extent: extentY, stride: strideY)
            let h = samePadding(size: input.width, extent: extentX, stride: strideX)
            pad = Padding(top: v.before, bottom: v.after, left: h.before, right: h.after)
        case .valid:
            pad = Padding(top: 0, bottom: 0, left: 0, right: 0)
        case .pixels(let p):
            guard p >= 0 else { throw ConvolutionError.invalidParameter("padding must not be negative") }
            pad = Padding(top: p, bottom: p, left: p, right: p)
        }
        let exact = exactStride && padding != .same
        let oh = try slidingOutputLength(axis: "height", size: input.height, extent: extentY,
                                         padding: pad.top + pad.bottom, stride: strideY, exact: exact)
        let ow = try slidingOutputLength(axis: "width", size: input.width, extent: extentX,
                                         padding: pad.left + pad.right, stride: strideX, exact: exact)
        return PlannedConv2D(conv: self, input: input,
                             output: Shape3(channels: outChannels, height: oh, width: ow),
                             padding: pad, groupCount: groupCount)
    }
}

struct PlannedConv2D: PlannedStage {
    let conv: Conv2D
    let input: Shape3
    let output: Shape3
    let padding: Padding
    let groupCount: Int
    /// Width of a padded input row: every column the output row reads.
    var paddedWidth: Int { (output.width - 1) * conv.strideX + (conv.kernelWidth - 1) * conv.dilationX + 1 }

    func rawRows(for rows: Range<Int>) -> Range<Int> {
        guard !rows.isEmpty else { return 0..<0 }
        let lo = rows.lowerBound * conv.strideY - padding.top
        let hi = (rows.upperBound - 1) * conv.strideY - padding.top + (conv.kernelHeight - 1) * conv.dilationY
        return lo..<(hi + 1)
    }

    func inputRows(for rows: Range<Int>) -> Range<Int> {
        let raw = rawRows(for: rows)
        if raw.lowerBound >= 0 && raw.upperBound <= input.height { return raw }
        return coveringRange(raw, count: input.height, border: conv.border)
    }

    func sourceRow(_ y: Int) -> Int {
        min(max(y * conv.strideY - padding.top + (conv.kernelHeight - 1) * conv.dilationY / 2, 0), input.height - 1)
    }

    func sourceColumn(_ x: Int) -> Int {
        min(max(x * conv.strideX - padding.left + (conv.kernelWidth - 1) * conv.dilationX / 2, 0), input.width - 1)
    }

    func forward(_ band: Band, rows: Range<Int>) -> Band {
        var out = Band(channels: output.channels, firstRow: rows.lowerBound, rows: rows.count, width: output.width)
        if rows.isEmpty { return out }
        let pw = paddedWidth, w = input.width, border = conv.border
        // Pad each input row horizontally once, so the inner loop reads
        // contiguous memory whatever the border mode.
        var padded = [Float](repeating: 0, count: input.channels * band.rows * pw)
        let zeros = [Float](repeating: 0, count: pw)
        let left = padding.left
        band.data.withUnsafeBufferPointer { src in
            padded.withUnsafeMutableBufferPointer { dst in
                for c in 0..<input.channels {
                    for r in 0..<band.rows {
                        let s = src.baseAddress! + (c * band.rows + r) * w
                        let d = dst.baseAddress! + (c * band.rows + r) * pw
                        let lo = max(left, 0), hi = min(pw, w + left)
                        if lo < hi { d.advanced(by: lo).update(from: s.advanced(by: lo - left), count: hi - lo) }
                        for p in 0..<min(lo, pw) {
                            if let m = border.index(p - left, count: w) { d[p] = s[m] }
                        }
                        if hi < pw {
                            for p in max(hi, 0)..<pw {
                                if let m = border.index(p - left, count: w) { d[p] = s[m] }
                            }
                        }
                    }
                }
            }
        }
        let kh = conv.kernelHeight, kw = conv.kernelWidth, taps = kh * kw
        let perGroupIn = input.channels / groupCount, perGroupOut = output.channels / groupCount
        let replicated = conv.groups == nil
        padded.withUnsafeBufferPointer { pad in
            zeros.withUnsafeBufferPointer { zero in
                conv.weights.withUnsafeBufferPointer { wts in
                    out.data.withUnsafeMutableBufferPointer { dst in
                        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: kh) { rowPtrs in
                            let rp = rowPtrs.baseAddress!
                            for o in 0..<output.channels {
                                let g = o / perGroupOut
                                let filter = replicated ? 0 : o
                                for y in rows {
                                    let outRow = dst.baseAddress! + (o * rows.count + (y - rows.lowerBound)) * output.width
                                    for ci in 0..<perGroupIn {
                                        let c = g * perGroupIn + ci
                                        for ky in 0..<kh {
                                            let raw = y * conv.strideY - padding.top + ky * conv.dilationY
                                            if let m = border.index(raw, count: input.height) {
                                                rp[ky] = pad.baseAddress! + (c * band.rows + (m - band.firstRow)) * pw
                                            } else {
                                                rp[ky] = zero.baseAddress!
                                            }
                                        }
                                        let wp = wts.baseAddress! + (filter * perGroupIn + ci) * taps
                                        correlateRow(out: outRow, count: output.width, rows: UnsafePointer(rp), weights: wp,
                                                     kernelHeight: kh, kernelWidth: kw,
                                                     stride: conv.strideX, dilation: conv.dilationX,
                                                     initial: ci == 0 ? conv.bias[filter] : nil)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
