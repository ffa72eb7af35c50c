import Convolution
import Foundation
import ImageCodecs
import Tensors

/// What the filter does to one input, beyond the stages themselves.
public struct FilterSettings: Sendable {
    public var mapping: PixelMapping = .clamp
    /// Carry an alpha channel through unfiltered (false: drop it).
    public var keepAlpha = true
    /// Bit depth of image outputs; nil keeps the input's (8 for numeric inputs).
    public var outputBitDepth: Int? = nil
    public init() {}
}

/// The result of filtering one input, ready for an encoder.
public enum FilterOutput {
    case raster(RasterImage)
    case tensor(Tensor)
}

public enum FilterError: Error, CustomStringConvertible {
    case unsuitableChannels(Int)
    public var description: String {
        switch self {
        case .unsuitableChannels(let n):
            return "the result has \(n) channels but an image holds 1 (grey) or 3 (RGB): write .npy or .txt instead (-o out.npy, --print)"
        }
    }
}

/// Runs a pipeline over one decoded input, band by band on all cores.
public enum FilterJob {
    /// Filters `input` for an encoder of `format`: pixels for image formats,
    /// raw Float32 values for NPY and text.
    public static func run(_ input: DecodedInput, pipeline: Pipeline, format: ImageFormat,
                           settings: FilterSettings = .init()) throws -> FilterOutput {
        let source: @Sendable (Range<Int>) -> Band
        let shape: Shape3
        var alphaSource: RasterImage? = nil
        var inputDepth = 8
        switch input {
        case .raster(let r):
            shape = Shape3(channels: r.colourChannels, height: r.height, width: r.width)
            source = { r.band(rows: $0) }
            if r.hasAlpha && settings.keepAlpha { alphaSource = r }
            inputDepth = r.bitDepth
        case .tensor(let t):
            let p = t.planes
            shape = Shape3(channels: p.channels, height: p.height, width: p.width)
            source = { rows in tensorBand(t, rows: rows) }
        }
        let plan = try pipeline.plan(for: shape)
        let out = plan.output
        let alpha = alphaSource

        if !format.isImage || settings.mapping == .normalize {
            // Whole-image path: exact values, or a global range to normalise by.
            let planes = FloatPlanes(shape: out)
            plan.run(source: source) { planes.store($0) }
            if !format.isImage {
                return .tensor(planes.tensor(dropSingleChannel: true))
            }
            let range = planes.range()
            let raster = try makeRaster(out, alpha: alpha, format: format, settings: settings, inputDepth: inputDepth)
            let step = plan.defaultBandRows()
            let bands = (out.height + step - 1) / step
            DispatchQueue.concurrentPerform(iterations: bands) { b in
                let rows = (b * step)..<min(out.height, (b + 1) * step)
                var band = planes.band(rows: rows)
                band.data.withUnsafeMutableBufferPointer { settings.mapping.apply($0, range: range) }
                raster.store(band)
                if let alpha { copyAlpha(from: alpha, to: raster, rows: rows, plan: plan) }
            }
            return .raster(raster)
        }

        let raster = try makeRaster(out, alpha: alpha, format: format, settings: settings, inputDepth: inputDepth)
        let mapping = settings.mapping
        plan.run(source: source) { band in
            var band = band
            band.data.withUnsafeMutableBufferPointer { mapping.apply($0) }
            raster.store(band)
            if let alpha { copyAlpha(from: alpha, to: raster, rows: band.rowRange, plan: plan) }
        }
        return .raster(raster)
    }

    static func makeRaster(_ out: Shape3, alpha: RasterImage?, format: ImageFormat,
                           settings: FilterSettings, inputDepth: Int) throws -> RasterImage {
        guard out.channels == 1 || out.channels == 3 else { throw FilterError.unsuitableChannels(out.channels) }
        // JPEG and PNM have no alpha channel; JPEG has no 16-bit samples.
        let withAlpha = alpha != nil && format == .png
        let depth = format == .jpeg ? 8 : (settings.outputBitDepth ?? inputDepth)
        return RasterImage(width: out.width, height: out.height, channels: out.channels + (withAlpha ? 1 : 0),
                           bitDepth: depth, hasAlpha: withAlpha)
    }

    /// Alpha is not filtered: each output pixel takes the alpha of the input
    /// pixel under the centre of its window (the same pixel when the geometry
    /// is unchanged).
    static func copyAlpha(from src: RasterImage, to dst: RasterImage, rows: Range<Int>, plan: PipelinePlan) {
        guard dst.hasAlpha else { return }
        let scale = Float(dst.bitDepth == 8 ? 255 : 65535) / Float(src.bitDepth == 8 ? 255 : 65535)
        let sa = src.channels - 1, da = dst.channels - 1
        for y in rows {
            for x in 0..<dst.width {
                let (sy, sx) = plan.sourcePixel(row: y, column: x)
                let v = Float(src.sample(sy, sx, sa)) * scale + 0.5
                let i = (y * dst.width + x) * dst.channels + da
                if dst.bitDepth == 8 { dst.samples.bytes.storeBytes(of: UInt8(v), toByteOffset: i, as: UInt8.self) }
                else { dst.samples.bytes.storeBytes(of: UInt16(v), toByteOffset: 2 * i, as: UInt16.self) }
            }
        }
    }

    static func tensorBand(_ t: Tensor, rows: Range<Int>) -> Band {
        let p = t.planes
        var band = Band(channels: p.channels, firstRow: rows.lowerBound, rows: rows.count, width: p.width)
        for c in 0..<p.channels {
            let s = (c * p.height + rows.lowerBound) * p.width
            let d = band.offset(channel: c, row: rows.lowerBound)
            band.data[d..<(d + rows.count * p.width)] = t.storage[s..<(s + rows.count * p.width)]
        }
        return band
    }
}
