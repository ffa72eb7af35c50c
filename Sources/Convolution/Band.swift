/// A horizontal band of a planar image: rows `firstRow ..< firstRow + rows` of
/// every channel, C×rows×W. Bands are the unit of work for the cores and keep
/// memory proportional to the image's width rather than its area.
public struct Band: Sendable {
    public var channels: Int
    public var firstRow: Int
    public var rows: Int
    public var width: Int
    public var data: [Float]

    public init(channels: Int, firstRow: Int, rows: Int, width: Int, data: [Float]? = nil) {
        self.channels = channels; self.firstRow = firstRow; self.rows = rows; self.width = width
        if let data {
            precondition(data.count == channels * rows * width, "band data of \(data.count) values for \(channels)×\(rows)×\(width)")
            self.data = data
        } else {
            self.data = [Float](repeating: 0, count: channels * rows * width)
        }
    }

    public var rowRange: Range<Int> { firstRow..<(firstRow + rows) }

    /// Offset of image row `y` of channel `c` in `data`.
    @inline(__always)
    public func offset(channel c: Int, row y: Int) -> Int { (c * rows + (y - firstRow)) * width }
}
