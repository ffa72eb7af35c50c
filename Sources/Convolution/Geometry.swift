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
