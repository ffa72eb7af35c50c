/// Max or average pooling over F×F windows at stride S, without padding; the
/// output has floor((N - F) / S) + 1 pixels per axis (lecture notes, E6), so
/// pixels a window cannot cover at the right and bottom edges are dropped.
public struct Pool2D: Stage {
    public enum Kind: String, Sendable { case max, avg }
    public var kind: Kind
    public var size: Int
    public var stride: Int

    public init(_ kind: Kind, size: Int, stride: Int? = nil) {
        self.kind = kind; self.size = size; self.stride = stride ?? size
    }

    public var summary: String { "\(kind.rawValue)pool \(size)×\(size)/\(stride)" }

    public func plan(for input: Shape3) throws -> any PlannedStage {
        guard size >= 1 else { throw ConvolutionError.invalidParameter("pool size must be at least 1, not \(size)") }
        let oh = try slidingOutputLength(axis: "height", size: input.height, extent: size, padding: 0, stride: stride, exact: false)
        let ow = try slidingOutputLength(axis: "width", size: input.width, extent: size, padding: 0, stride: stride, exact: false)
        return PlannedPool2D(pool: self, input: input, output: Shape3(channels: input.channels, height: oh, width: ow))
    }
}

struct PlannedPool2D: PlannedStage {
    let pool: Pool2D
    let input: Shape3
    let output: Shape3

    func inputRows(for rows: Range<Int>) -> Range<Int> {
        guard !rows.isEmpty else { return 0..<0 }
        return (rows.lowerBound * pool.stride)..<((rows.upperBound - 1) * pool.stride + pool.size)
    }

    func sourceRow(_ y: Int) -> Int { y * pool.stride + (pool.size - 1) / 2 }
    func sourceColumn(_ x: Int) -> Int { x * pool.stride + (pool.size - 1) / 2 }

    func forward(_ band: Band, into out: Band, scratch: Scratch) {
        let f = pool.size, s = pool.stride, ow = output.width
        let scale = 1 / Float(f * f)
        for c in 0..<output.channels {
            for y in out.rowRange {
                let o = out.row(c, y)
                if pool.kind == .max {
                    for x in 0..<ow { o[x] = -.infinity }
                    for dy in 0..<f {
                        let r = band.row(c, y * s + dy)
                        for x in 0..<ow {
                            var m = o[x]
                            for dx in 0..<f { m = max(m, r[x * s + dx]) }
                            o[x] = m
                        }
                    }
                } else {
                    for x in 0..<ow { o[x] = 0 }
                    for dy in 0..<f {
                        let r = band.row(c, y * s + dy)
                        for x in 0..<ow {
                            var a = o[x]
                            for dx in 0..<f { a += r[x * s + dx] }
                            o[x] = a
                        }
                    }
                    for x in 0..<ow { o[x] *= scale }
                }
            }
        }
    }
}
