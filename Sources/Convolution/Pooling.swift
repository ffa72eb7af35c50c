/// Max or average pooling over windows of height × width at a vertical and a
/// horizontal stride, without padding; the output has floor((N - F) / S) + 1
/// pixels per axis (lecture notes, E6), so pixels a window cannot cover at the
/// right and bottom edges are dropped.
public struct Pool2D: Stage {
    public enum Kind: String, Sendable { case max, avg }
    public var kind: Kind
    public var height, width: Int
    public var strideY, strideX: Int

    /// A square window; the stride defaults to the window.
    public init(_ kind: Kind, size: Int, stride: Int? = nil) {
        self.init(kind, height: size, width: size, strideY: stride ?? size, strideX: stride ?? size)
    }

    /// A height × width window (1×2 pools along rows only); strides default to the window.
    public init(_ kind: Kind, height: Int, width: Int, strideY: Int? = nil, strideX: Int? = nil) {
        self.kind = kind; self.height = height; self.width = width
        self.strideY = strideY ?? height; self.strideX = strideX ?? width
    }

    public var summary: String {
        let stride = strideY == strideX ? "\(strideY)" : "\(strideY)×\(strideX)"
        return "\(kind.rawValue)pool \(height)×\(width)/\(stride)"
    }

    public func plan(for input: Shape3) throws -> any PlannedStage {
        guard height >= 1, width >= 1 else {
            throw ConvolutionError.invalidParameter("pool size must be at least 1, not \(height)×\(width)")
        }
        let oh = try slidingOutputLength(axis: "height", size: input.height, extent: height, padding: 0,
                                         stride: strideY, exact: false)
        let ow = try slidingOutputLength(axis: "width", size: input.width, extent: width, padding: 0,
                                         stride: strideX, exact: false)
        return PlannedPool2D(pool: self, input: input, output: Shape3(channels: input.channels, height: oh, width: ow))
    }
}

struct PlannedPool2D: PlannedStage {
    let pool: Pool2D
    let input: Shape3
    let output: Shape3

    func inputRows(for rows: Range<Int>) -> Range<Int> {
        guard !rows.isEmpty else { return 0..<0 }
        return (rows.lowerBound * pool.strideY)..<((rows.upperBound - 1) * pool.strideY + pool.height)
    }

    func sourceRow(_ y: Int) -> Int { y * pool.strideY + (pool.height - 1) / 2 }
    func sourceColumn(_ x: Int) -> Int { x * pool.strideX + (pool.width - 1) / 2 }

    func forward(_ band: Band, into out: Band, scratch: Scratch) {
        let fy = pool.height, fx = pool.width, sy = pool.strideY, s = pool.strideX, ow = output.width
        let scale = 1 / Float(fy * fx)
        for c in 0..<output.channels {
            for y in out.rowRange {
                let o = out.row(c, y)
                if pool.kind == .max {
                    for x in 0..<ow { o[x] = -.infinity }
                    for dy in 0..<fy {
                        let r = band.row(c, y * sy + dy)
                        for x in 0..<ow {
                            var m = o[x]
                            for dx in 0..<fx { m = max(m, r[x * s + dx]) }
                            o[x] = m
                        }
                    }
                } else {
                    for x in 0..<ow { o[x] = 0 }
                    for dy in 0..<fy {
                        let r = band.row(c, y * sy + dy)
                        for x in 0..<ow {
                            var a = o[x]
                            for dx in 0..<fx { a += r[x * s + dx] }
                            o[x] = a
                        }
                    }
                    for x in 0..<ow { o[x] *= scale }
                }
            }
        }
    }
}
