/// How a convolution reads pixels outside the image.
public enum BorderMode: String, CaseIterable, Sendable {
    /// Mirror without repeating the edge pixel: `d c b | a b c d | c b a`
    /// (OpenCV's BORDER_REFLECT_101, scipy's `mirror`).
    case reflect
    /// Repeat the edge pixel: `a a | a b c d | d d`.
    case replicate
    /// Zeros outside the image, as CNN layers pad.
    case zero
    /// Wrap around: `c d | a b c d | a b`.
    case wrap

    /// The in-image index that stands for index `i` of a line of `n` pixels,
    /// or nil where the border is zero.
    @inline(__always)
    public func index(_ i: Int, count n: Int) -> Int? {
        if i >= 0 && i < n { return i }
        switch self {
        case .zero: return nil
        case .replicate: return i < 0 ? 0 : n - 1
        case .wrap: return ((i % n) + n) % n
        case .reflect:
            if n == 1 { return 0 }
            let period = 2 * n - 2
            let j = ((i % period) + period) % period
            return j < n ? j : period - j
        }
    }
}
