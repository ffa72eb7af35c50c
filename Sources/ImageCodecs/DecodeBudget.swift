import Foundation

/// Memory for the images that cannot stream and are decoded whole before
/// filtering: interlaced PNGs (Adam7 revisits every row) and JPEGs turned
/// upright by their EXIF orientation. Their sizes are checked against it from
/// the header, before any pixel buffer exists. (Every other decode streams
/// through a ring of rows; the C layer caps any decode at 4 GiB.)
public enum DecodeBudget {
    /// Decoded bytes of such an image: 256 MiB (an 8192×8192 RGBA image at 8
    /// bits), or CNNFILTER_WHOLE_MB. Filtering it whole takes about twice that.
    public static let wholeImageBytes: Int = {
        let mb = ProcessInfo.processInfo.environment["CNNFILTER_WHOLE_MB"].flatMap(Double.init) ?? 256
        return mb.isFinite && mb >= 0 ? Int(min(mb, 1e6) * 1048576) : 256 << 20
    }()

    /// Throws, naming the file, the size and the limit, when the image is over the budget.
    static func checkWhole(width: Int, height: Int, channels: Int, bitDepth: Int, path: String,
                           what: String, why: String, hint: String) throws {
        let bytes = width * height * channels * (bitDepth / 8)
        guard bytes > wholeImageBytes else { return }
        func mib(_ n: Int) -> Int { (n + 1048575) / 1048576 }
        let size = "\(width)×\(height)×\(channels) at \(bitDepth) bits"
        throw CodecError(path, "\(what) \(size) is decoded whole (\(why)): \(mib(bytes)) MiB, "
                         + "over the \(mib(wholeImageBytes)) MiB limit (\(hint))")
    }
}
