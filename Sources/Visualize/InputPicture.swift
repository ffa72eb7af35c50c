import ImageCodecs
import Tensors

/// The model's input tensor drawn as the model saw it: at its own resolution
/// (after resizing) enlarged by whole pixels to about 224 pixels, one range
/// (minimum to maximum over all channels) from black to white, so a
/// normalised photo looks like the photo again. Three channels are drawn as
/// RGB, one (or more than three) as grey from the first channel.
struct InputPicture {
    var image: RasterImage
    var shape: [Int]
    var range: (Float, Float)
    var scale: Int
    var colour: Bool

    /// nil when the input is not N×C×H×W.
    init?(_ t: Tensor) {
        guard t.rank == 4, t.shape.allSatisfy({ $0 > 0 }) else { return nil }
        let c = t.shape[1], h = t.shape[2], w = t.shape[3], plane = h * w
        colour = c == 3
        let used = Array(t.storage.prefix((colour ? 3 : 1) * plane))
        let finite = used.filter(\.isFinite)
        range = (finite.min() ?? 0, finite.max() ?? 0)
        scale = max(1, 224 / max(h, w))
        shape = t.shape
        let channels = colour ? 3 : 1
        image = RasterImage(width: w * scale, height: h * scale, channels: channels, bitDepth: 8, hasAlpha: false)
        for y in 0..<(h * scale) {
            let row = image.rowPointer(y).assumingMemoryBound(to: UInt8.self)
            for x in 0..<(w * scale) {
                let i = (y / scale) * w + x / scale
                for ch in 0..<channels {
                    row[x * channels + ch] = UInt8((Render.unit(used[ch * plane + i], range) * 255).rounded())
                }
            }
        }
    }
}
