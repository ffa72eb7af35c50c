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
