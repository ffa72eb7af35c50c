import ImageCodecs
import Tensors

/// One layer's output seen as channels of H×W maps: N×C×H×W (first batch
/// item) gives C maps; a vector (N×F) gives one 1×F map; anything else one
/// map of all its values in a row.
public struct LayerMaps: Sendable {
    public var channels: Int, height: Int, width: Int
    public var values: [Float]

    public init(_ t: Tensor) {
        switch t.rank {
        case 4:
            channels = t.shape[1]; height = t.shape[2]; width = t.shape[3]
            values = Array(t.storage.prefix(channels * height * width))
        case 3:
            channels = t.shape[0]; height = t.shape[1]; width = t.shape[2]
            values = t.storage
        case 2:
            channels = 1; height = 1; width = t.shape[1]
            values = Array(t.storage.prefix(width))
        default:
            channels = 1; height = 1; width = max(t.count, 1)
            values = t.count > 0 ? t.storage : [0]
        }
    }

    public func channel(_ c: Int) -> ArraySlice<Float> { values[(c * height * width)..<((c + 1) * height * width)] }

    public var finiteRange: (Float, Float) {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        return lo <= hi ? (lo, hi) : (0, 0)
    }
}

enum Render {
    /// A value mapped into [0, 1] by a channel's range; a constant channel is mid-grey.
    @inline(__always)
    static func unit(_ v: Float, _ range: (Float, Float)) -> Float {
        let span = range.1 - range.0
        guard span > 0, v.isFinite else { return 0.5 }
        return (v - range.0) / span
    }

    /// One channel as an image at its own resolution (grey, or RGB for a colour map).
    static func channelImage(_ values: ArraySlice<Float>, height: Int, width: Int, range: (Float, Float), colormap: Colormap) -> RasterImage {
        let grey = colormap == .gray
        let img = RasterImage(width: width, height: height, channels: grey ? 1 : 3, bitDepth: 8, hasAlpha: false)
        var i = values.startIndex
        for y in 0..<height {
            let row = img.rowPointer(y).assumingMemoryBound(to: UInt8.self)
            for x in 0..<width {
                let (r, g, b) = colormap.rgb(unit(values[i], range))
                if grey { row[x] = r } else { row[3 * x] = r; row[3 * x + 1] = g; row[3 * x + 2] = b }
                i += 1
            }
        }
        return img
    }
}
