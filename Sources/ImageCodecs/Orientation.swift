/// EXIF orientation (tag 0x0112): how a camera says its pixels must be turned.
public enum ExifOrientation {
    /// The orientation value (1...8) in an Exif payload (a TIFF structure), or nil.
    public static func read(_ tiff: [UInt8]) -> Int? {
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= tiff.count else { return nil }
            return little ? Int(tiff[o]) | Int(tiff[o + 1]) << 8 : Int(tiff[o]) << 8 | Int(tiff[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for i in 0..<entries {
            let e = ifd + 2 + 12 * i
            guard let tag = u16(e) else { return nil }
            if tag == 0x0112, let v = u16(e + 8) { return (1...8).contains(v) ? v : nil }
        }
        return nil
    }

    /// The image turned upright: orientation 1 leaves it as it is.
    public static func apply(_ orientation: Int, to image: RasterImage) -> RasterImage {
        guard (2...8).contains(orientation) else { return image }
        precondition(image.isWhole, "turning an image needs all of its rows")
        let w = image.width, h = image.height
        let swaps = orientation >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        let out = RasterImage(width: ow, height: oh, channels: image.channels, bitDepth: image.bitDepth, hasAlpha: image.hasAlpha)
        let bpp = image.channels * image.bitDepth / 8
        let src = image.samples.bytes, dst = out.samples.bytes
        for y in 0..<oh {
            for x in 0..<ow {
                // The source pixel that lands at (x, y) of the upright image.
                let (sx, sy): (Int, Int)
                switch orientation {
                case 2: (sx, sy) = (w - 1 - x, y)          // mirrored
                case 3: (sx, sy) = (w - 1 - x, h - 1 - y)  // rotated 180°
                case 4: (sx, sy) = (x, h - 1 - y)          // flipped vertically
                case 5: (sx, sy) = (y, x)                  // transposed
                case 6: (sx, sy) = (y, h - 1 - x)          // rotated 90° clockwise to view
                case 7: (sx, sy) = (w - 1 - y, h - 1 - x)  // transversed
                default: (sx, sy) = (w - 1 - y, x)         // 8: rotated 90° anticlockwise to view
                }
                (dst + (y * ow + x) * bpp).copyMemory(from: src + (sy * w + sx) * bpp, byteCount: bpp)
            }
        }
        return out
    }
}
