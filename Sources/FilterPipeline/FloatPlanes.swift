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

    /// The whole result as one band, to write bands into or read them from.
    var whole: Band {
        Band(base: values.baseAddress!, channels: shape.channels, firstRow: 0, rows: shape.height, width: shape.width)
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
