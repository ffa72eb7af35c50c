import Convolution
import Foundation
import Tensors

/// A whole planar Float32 result that bands from several threads fill at once.
final class FloatPlanes: @unchecked Sendable {
    let shape: Shape3
    let values: UnsafeMutableBufferPointer<Float>

    init(shape: Shape3) {
        self.shape = shape
        values = .allocate(capacity: max(shape.count, 1))
        values.initialize(repeating: 0)
    }

    deinit { values.deallocate() }

    func store(_ band: Band) {
        for c in 0..<band.channels {
            let s = band.offset(channel: c, row: band.firstRow)
            let d = (c * shape.height + band.firstRow) * shape.width
            band.data.withUnsafeBufferPointer { src in
                (values.baseAddress! + d).update(from: src.baseAddress! + s, count: band.rows * band.width)
            }
        }
    }

    func band(rows: Range<Int>) -> Band {
        var band = Band(channels: shape.channels, firstRow: rows.lowerBound, rows: rows.count, width: shape.width)
        for c in 0..<shape.channels {
            let s = (c * shape.height + rows.lowerBound) * shape.width
            let d = band.offset(channel: c, row: rows.lowerBound)
            band.data.withUnsafeMutableBufferPointer { dst in
                (dst.baseAddress! + d).update(from: values.baseAddress! + s, count: rows.count * shape.width)
            }
        }
        return band
    }

    /// Smallest and largest finite value.
    func range() -> (Float, Float) {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values.prefix(shape.count) where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        return lo <= hi ? (lo, hi) : (0, 0)
    }

    /// C×H×W, or H×W for a single channel when asked.
    func tensor(dropSingleChannel: Bool) -> Tensor {
        let t = Tensor(shape: [shape.channels, shape.height, shape.width], values: Array(values.prefix(shape.count)))
        return dropSingleChannel && shape.channels == 1 ? t.reshaped([shape.height, shape.width]) : t
    }
}
