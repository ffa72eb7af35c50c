/// Bilinear resampling of one height×width plane to oh×ow, sampling at pixel centres (the half-pixel
/// convention, edges clamped); nothing is averaged when shrinking.
public func bilinearResize(_ v: ArraySlice<Float>, height: Int, width: Int, toHeight oh: Int, width ow: Int) -> [Float] {
    if oh == height && ow == width { return Array(v) }
    let b = v.startIndex
    return bilinearResize(height: height, width: width, toHeight: oh, width: ow) { y, x in v[b + y * width + x] }
}

/// The rows `rows` and columns `columns` of a plane resized as above to oh×ow (all of it by default),
/// reading the source's values through `value(y, x)`: a crop of the resized plane costs only its own
/// pixels, and the source may be samples not yet converted to Float32. The same arithmetic, so the
/// same values, as resizing the whole plane and cropping.
@inlinable
public func bilinearResize(height: Int, width: Int, toHeight oh: Int, width ow: Int,
                           rows: Range<Int>? = nil, columns: Range<Int>? = nil,
                           _ value: (Int, Int) -> Float) -> [Float] {
    let rows = rows ?? 0..<oh, columns = columns ?? 0..<ow
    var out = [Float](repeating: 0, count: rows.count * columns.count)
    var i = 0
    if oh == height && ow == width {
        for y in rows { for x in columns { out[i] = value(y, x); i += 1 } }
        return out
    }
    for y in rows {
        let fy = min(max((Float(y) + 0.5) * Float(height) / Float(oh) - 0.5, 0), Float(height - 1))
        let y0 = Int(fy), y1 = min(y0 + 1, height - 1), dy = fy - Float(y0)
        for x in columns {
            let fx = min(max((Float(x) + 0.5) * Float(width) / Float(ow) - 0.5, 0), Float(width - 1))
            let x0 = Int(fx), x1 = min(x0 + 1, width - 1), dx = fx - Float(x0)
            let top = value(y0, x0) * (1 - dx) + value(y0, x1) * dx
            let bottom = value(y1, x0) * (1 - dx) + value(y1, x1) * dx
            out[i] = top * (1 - dy) + bottom * dy
            i += 1
        }
    }
    return out
}

/// Planes converted to `channels`: RGB(A) → grey by ITU-R 601 luma, grey → RGB
/// by repetition; other counts pass through for the caller to check.
public func matchChannels(_ planes: [[Float]], to channels: Int) -> [[Float]] {
    if channels == 1 && planes.count >= 3 {
        return [(0..<planes[0].count).map { 0.299 * planes[0][$0] + 0.587 * planes[1][$0] + 0.114 * planes[2][$0] }]
    }
    if channels == 3 && planes.count == 1 { return [planes[0], planes[0], planes[0]] }
    return planes
}
