/// The channels, height and width of a planar image tensor.
public struct Shape3: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var channels, height, width: Int
    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels; self.height = height; self.width = width
    }
    public var count: Int { channels * height * width }
    public var description: String { "\(channels)×\(height)×\(width)" }
}

/// Padding as a user states it.
public enum PaddingSpec: Equatable, Sendable {
    /// Pad so that the output has ceil(N / stride) pixels (N at stride 1).
    case same
    /// No padding.
    case valid
    /// The same number of pixels on every side.
    case pixels(Int)
    /// Pixels on each side, as ONNX's `pads` gives them.
    case explicit(Padding)
    /// Like `same`, with the odd pixel before (ONNX's SAME_LOWER).
    case sameLower
}

/// Concrete padding of one stage, in pixels on each side.
public struct Padding: Equatable, Sendable {
    public var top, bottom, left, right: Int
    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }
}

public enum ConvolutionError: Error, Equatable, CustomStringConvertible {
    case strideDoesNotFit(axis: String, size: Int, kernel: Int, padding: Int, stride: Int)
    case kernelLargerThanInput(axis: String, size: Int, kernel: Int, padding: Int)
    case channelMismatch(expected: Int, got: Int)
    case invalidParameter(String)

    public var description: String {
        switch self {
        case let .strideDoesNotFit(axis, n, f, p, s):
            let exact = Double(n - f + p) / Double(s) + 1
            let shown = (exact * 100).rounded() / 100
            return "stride \(s) does not fit the \(axis) \(n) with a kernel of \(f) and padding \(p): "
                + "(\(n) - \(f) + \(p)) / \(s) + 1 = \(shown) is not a whole number; "
                + "choose another stride or padding, or --padding same"
        case let .kernelLargerThanInput(axis, n, f, p):
            return "the kernel's \(axis) \(f) is larger than the input's \(n) plus padding \(p)"
        case let .channelMismatch(expected, got):
            return "the filters expect \(expected) input channels but the input has \(got)"
        case let .invalidParameter(message):
            return message
        }
    }
}

/// Output length of a sliding window along one axis: floor((N - F + P) / S) + 1,
/// where F is the dilated kernel extent and P the total padding. With `exact`,
/// a stride that leaves input pixels over is an error (lecture notes, E6);
/// leaving over only some of the `paddingAfter` pixels is not (d2l's stride 3×2
/// over the 3×3 input padded by 1 drops a column of padding).
public func slidingOutputLength(axis: String, size n: Int, extent f: Int, padding p: Int,
                                stride s: Int, exact: Bool, paddingAfter: Int = 0) throws -> Int {
    guard s >= 1 else { throw ConvolutionError.invalidParameter("stride must be at least 1, not \(s)") }
    guard n + p >= f else { throw ConvolutionError.kernelLargerThanInput(axis: axis, size: n, kernel: f, padding: p) }
    if exact && (n + p - f) % s > paddingAfter {
        throw ConvolutionError.strideDoesNotFit(axis: axis, size: n, kernel: f, padding: p, stride: s)
    }
    return (n + p - f) / s + 1
}

/// Splits the padding `same` needs along one axis: TensorFlow's rule, the odd
/// pixel after (bottom or right), so a 2×2 kernel pads one pixel after.
public func samePadding(size n: Int, extent f: Int, stride s: Int) -> (before: Int, after: Int) {
    let out = (n + s - 1) / s
    let total = max((out - 1) * s + f - n, 0)
    return (total / 2, total - total / 2)
}

/// Where a 2-D window (a convolution's dilated kernel, a pooling window) slides over a plane: the padding
/// on each side and the output size. The one computation of it for the image filter's convolutions, ONNX's
/// Conv and pools, their backward passes and the trainer's graphs.
public struct WindowPlacement: Equatable, Sendable {
    public let padding: Padding
    public let outHeight: Int, outWidth: Int

    /// `extent`: the window's height and width (dilated). `exact`: a stride that leaves input pixels over is
    /// an error, except with `same` padding (the lecture's rule). `ceilMode`: ONNX pools' ceil_mode, where a
    /// last window may hang over the padding but must start inside the input or its leading padding.
    public init(height h: Int, width w: Int, extent: (Int, Int), strides: (Int, Int), padding spec: PaddingSpec,
                exact: Bool = false, ceilMode: Bool = false) throws {
        guard strides.0 >= 1, strides.1 >= 1 else {
            throw ConvolutionError.invalidParameter("strides \(strides.0)×\(strides.1) must be at least 1")
        }
        switch spec {
        case .same, .sameLower:
            let v = samePadding(size: h, extent: extent.0, stride: strides.0)
            let u = samePadding(size: w, extent: extent.1, stride: strides.1)
            padding = spec == .same ? Padding(top: v.before, bottom: v.after, left: u.before, right: u.after)
                                    : Padding(top: v.after, bottom: v.before, left: u.after, right: u.before)
        case .valid:
            padding = Padding(top: 0, bottom: 0, left: 0, right: 0)
        case .pixels(let p):
            padding = Padding(top: p, bottom: p, left: p, right: p)
        case .explicit(let p):
            padding = p
        }
        guard min(padding.top, padding.bottom, padding.left, padding.right) >= 0 else {
            throw ConvolutionError.invalidParameter("padding must not be negative")
        }
        let exact = exact && spec != .same && spec != .sameLower
        outHeight = try Self.length(axis: "height", size: h, extent: extent.0, before: padding.top,
                                    after: padding.bottom, stride: strides.0, exact: exact, ceilMode: ceilMode)
        outWidth = try Self.length(axis: "width", size: w, extent: extent.1, before: padding.left,
                                   after: padding.right, stride: strides.1, exact: exact, ceilMode: ceilMode)
    }

    static func length(axis: String, size n: Int, extent f: Int, before: Int, after: Int, stride s: Int,
                       exact: Bool, ceilMode: Bool) throws -> Int {
        guard ceilMode else {
            return try slidingOutputLength(axis: axis, size: n, extent: f, padding: before + after, stride: s,
                                           exact: exact, paddingAfter: after)
        }
        guard n + before + after >= f else {
            throw ConvolutionError.kernelLargerThanInput(axis: axis, size: n, kernel: f, padding: before + after)
        }
        let o = (n + before + after - f + s - 1) / s + 1
        return (o - 1) * s >= n + before ? o - 1 : o
    }
}
