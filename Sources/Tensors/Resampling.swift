/// Bilinear resampling with pixel centres aligned (the half-pixel convention).
public func bilinearResize(_ v: ArraySlice<Float>, height: Int, width: Int, toHeight oh: Int, width ow: Int) -> [Float] {
    if oh == height && ow == width { return Array(v) }
    let b = v.startIndex
    var out = [Float](repeating: 0, count: oh * ow)
    for y in 0..<oh {
        let fy = min(max((Float(y) + 0.5) * Float(height) / Float(oh) - 0.5, 0), Float(height - 1))
        let y0 = Int(fy), y1 = min(y0 + 1, height - 1), dy = fy - Float(y0)
        for x in 0..<ow {
            let fx = min(max((Float(x) + 0.5) * Float(width) / Float(ow) - 0.5, 0), Float(width - 1))
            let x0 = Int(fx), x1 = min(x0 + 1, width - 1), dx = fx - Float(x0)
            let top = v[b + y0 * width + x0] * (1 - dx) + v[b + y0 * width + x1] * dx
            let bottom = v[b + y1 * width + x0] * (1 - dx) + v[b + y1 * width + x1] * dx
            out[y * ow + x] = top * (1 - dy) + bottom * dy
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
