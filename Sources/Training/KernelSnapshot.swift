import Convolution
import ImageCodecs
import Kernels
import Tensors

extension KernelFitting {
    /// The input filtered with `kernel` as `cnnfilter --kernel` would filter it
    /// (same size, reflected borders), as an 8-bit image with values mapped
    /// from `range` (the target's) to black…white, so snapshots of a run share
    /// one scale. One or three output channels give a grey or colour image;
    /// other counts are laid side by side in grey.
    public static func render(_ kernel: KernelFile, on input: Tensor, range: (Float, Float)) throws -> RasterImage {
        let p = input.planes
        let output = try Pipeline([kernel.conv()]).plan(for: Shape3(channels: p.channels, height: p.height, width: p.width)).apply(input)
        let o = output.planes
        let tiles = o.channels == 1 || o.channels == 3 ? 1 : o.channels
        let channels = tiles == 1 ? o.channels : 1
        let width = o.width * tiles + 4 * (tiles - 1)
        let image = RasterImage(width: width, height: o.height, channels: channels, bitDepth: 8, hasAlpha: false)
        let span = max(range.1 - range.0, 1e-12)
        for y in 0..<o.height {
            let row = image.rowPointer(y).assumingMemoryBound(to: UInt8.self)
            row.update(repeating: 0, count: width * channels)
            for t in 0..<tiles { for x in 0..<o.width { for c in 0..<channels {
                let v = output[tiles == 1 ? c : t, y, x]
                row[(t * (o.width + 4) + x) * channels + c] = UInt8(min(max((v - range.0) / span, 0), 1) * 255 + 0.5)
            } } }
        }
        return image
    }
}
