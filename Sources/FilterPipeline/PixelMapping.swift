import Convolution

/// How filter results (any real number) become pixel values in [0, 1].
public enum PixelMapping: String, CaseIterable, Sendable {
    /// Clip to [0, 1].
    case clamp
    /// |v|, clipped: edges of both signs show bright.
    case abs
    /// v / 2 + 0.5, clipped: zero is mid-grey, negative darker.
    case offset
    /// (v − min) / (max − min) over the whole result: needs the whole image first.
    case normalize

    /// Maps a band's values in place; `range` is the result's (min, max) for `normalize`.
    func apply(_ band: Band, range: (Float, Float) = (0, 1)) {
        if self == .clamp { return }
        band.forEachRow { _, _, row in apply(UnsafeMutableBufferPointer(start: row, count: band.width), range: range) }
    }

    func apply(_ values: UnsafeMutableBufferPointer<Float>, range: (Float, Float) = (0, 1)) {
        switch self {
        case .clamp: break // clipping happens when samples are rounded
        case .abs: for i in values.indices { values[i] = Swift.abs(values[i]) }
        case .offset: for i in values.indices { values[i] = values[i] * 0.5 + 0.5 }
        case .normalize:
            let span = range.1 - range.0
            let scale: Float = span > 0 ? 1 / span : 0
            // A constant result shows as mid-grey rather than black.
            let base: Float = span > 0 ? 0 : 0.5
            for i in values.indices { values[i] = span > 0 ? (values[i] - range.0) * scale : base }
        }
    }
}
