import Foundation

/// A horizontal band of a planar Float32 image: rows `firstRow ..< firstRow +
/// rows` of every channel, seen in memory someone else owns (a tensor, a
/// decoder's rows converted into scratch memory, an output image). Bands are
/// the unit of work for the cores and keep memory proportional to the image's
/// width rather than its area.
public struct Band: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let channels: Int
    public let firstRow: Int
    public let rows: Int
    public let width: Int
    /// Floats from one row to the next, and from one channel to the next.
    public let rowStride: Int
    public let channelStride: Int

    public init(base: UnsafeMutablePointer<Float>, channels: Int, firstRow: Int, rows: Int, width: Int,
                rowStride: Int? = nil, channelStride: Int? = nil) {
        self.base = base; self.channels = channels; self.firstRow = firstRow; self.rows = rows; self.width = width
        self.rowStride = rowStride ?? width
        self.channelStride = channelStride ?? (rowStride ?? width) * rows
    }

    public var rowRange: Range<Int> { firstRow..<(firstRow + rows) }

    /// Image row `y` of channel `c`.
    @inline(__always)
    public func row(_ c: Int, _ y: Int) -> UnsafeMutablePointer<Float> {
        base + c * channelStride + (y - firstRow) * rowStride
    }

    /// Rows `rows` of this band (a sub-view, no copy).
    public func slice(_ rows: Range<Int>) -> Band {
        Band(base: row(0, rows.lowerBound), channels: channels, firstRow: rows.lowerBound, rows: rows.count, width: width,
             rowStride: rowStride, channelStride: channelStride)
    }

    /// Calls `body` with each row of each channel.
    @inline(__always)
    public func forEachRow(_ body: (_ c: Int, _ y: Int, _ row: UnsafeMutablePointer<Float>) -> Void) {
        for c in 0..<channels { for y in rowRange { body(c, y, row(c, y)) } }
    }
}

/// Reusable memory for the bands one worker computes: each slot grows to the
/// largest size asked of it and is kept, so the hot path does not allocate.
public final class Scratch: @unchecked Sendable {
    private var slots: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []

    public init() {}

    deinit { for s in slots { s.pointer.deallocate() } }

    /// Memory for `count` floats in slot `index`; contents are undefined.
    public func floats(_ count: Int, slot index: Int) -> UnsafeMutablePointer<Float> {
        while slots.count <= index { slots.append((.allocate(capacity: 1), 1)) }
        if slots[index].capacity < count {
            slots[index].pointer.deallocate()
            // Round up so slightly larger bands later reuse the same block.
            let capacity = max(count, slots[index].capacity * 5 / 4)
            slots[index] = (.allocate(capacity: capacity), capacity)
        }
        return slots[index].pointer
    }

    /// A band of `channels × rows × width` floats in slot `index`.
    public func band(channels: Int, firstRow: Int, rows: Int, width: Int, slot index: Int) -> Band {
        Band(base: floats(max(1, channels * rows * width), slot: index), channels: channels, firstRow: firstRow,
             rows: rows, width: width)
    }
}

/// Slots of a worker's scratch memory: the pipeline's own, then the stages'.
public enum ScratchSlot {
    /// Input rows converted for the first stage (from 8-bit pixels, say).
    public static let source = 0
    /// Intermediate results, alternating between stages.
    static let ping = 1, pong = 2
    /// A row of zeros for the zero border.
    static let zeros = 3
    /// A separable convolution's horizontal pass.
    static let horizontal = 4
}

/// Scratch memory for concurrent band jobs, handed out and returned.
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()
    private var free: [Scratch] = []
    private let lock = NSLock()

    func take() -> Scratch {
        lock.lock(); defer { lock.unlock() }
        return free.popLast() ?? Scratch()
    }

    func give(_ s: Scratch) {
        lock.lock(); defer { lock.unlock() }
        free.append(s)
    }
}
