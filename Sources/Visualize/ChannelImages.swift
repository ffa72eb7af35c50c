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

/// A photo (3×H×W, values in [0, 1]) that maps are blended over as heat maps.
public struct OverlayBackground: Sendable {
    public var height: Int, width: Int
    public var rgb: [Float]
    public init(height: Int, width: Int, rgb: [Float]) {
        precondition(rgb.count == 3 * height * width)
        self.height = height; self.width = width; self.rgb = rgb
    }

    /// A map upsampled bilinearly to the photo's size, coloured and blended half and half.
    func blend(_ values: ArraySlice<Float>, height h: Int, width w: Int, range: (Float, Float), colormap: Colormap,
               into set: (Int, Int, (UInt8, UInt8, UInt8)) -> Void) {
        let plane = height * width
        let up = bilinearResize(values, height: h, width: w, toHeight: height, width: width)
        func mix(_ h: UInt8, _ p: Float) -> UInt8 { UInt8((0.5 * Float(h) + 127.5 * min(max(p, 0), 1)).rounded()) }
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let heat = colormap.rgb(Render.unit(up[i], range))
                set(x, y, (mix(heat.0, rgb[i]), mix(heat.1, rgb[plane + i]), mix(heat.2, rgb[2 * plane + i])))
            }
        }
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

    /// One channel blended over the photo, at the photo's size.
    static func overlayImage(_ values: ArraySlice<Float>, height: Int, width: Int, range: (Float, Float),
                             colormap: Colormap, background: OverlayBackground) -> RasterImage {
        let img = RasterImage(width: background.width, height: background.height, channels: 3, bitDepth: 8, hasAlpha: false)
        background.blend(values, height: height, width: width, range: range, colormap: colormap) { x, y, c in
            let row = img.rowPointer(y).assumingMemoryBound(to: UInt8.self)
            row[3 * x] = c.0; row[3 * x + 1] = c.1; row[3 * x + 2] = c.2
        }
        return img
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
