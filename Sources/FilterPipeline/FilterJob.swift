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

/// Runs a pipeline over one input, band by band on all cores.
public enum FilterJob {
    /// Filters a decoded input for an encoder of `format`: pixels for image
    /// formats, raw Float32 values for NPY and text.
    public static func run(_ input: DecodedInput, pipeline: Pipeline, format: ImageFormat,
                           settings: FilterSettings = .init()) throws -> FilterOutput {
        switch input {
        case .raster(let r):
            let job = try ImageJob(input: r, pipeline: pipeline, format: format, settings: settings)
            return try job.runWhole()
        case .tensor(let t):
            let p = t.planes
            let plan = try pipeline.plan(for: Shape3(channels: p.channels, height: p.height, width: p.width))
            return try finishWhole(plan: plan, source: { tensorBand(t, rows: $0, scratch: $1) }, alpha: nil, inputDepth: 8,
                                   format: format, settings: settings)
        }
    }

    /// The whole-image path: exact values for NPY and text, or a global range
    /// for `normalize`; otherwise bands straight into the output raster.
    static func finishWhole(plan: PipelinePlan, source: @escaping @Sendable (Range<Int>, Scratch) -> Band, alpha: RasterImage?,
                            inputDepth: Int, format: ImageFormat, settings: FilterSettings) throws -> FilterOutput {
        let out = plan.output
        if !format.isImage || settings.mapping == .normalize {
            let planes = FloatPlanes(shape: out)
            let whole = planes.whole
            plan.run(source: source, destination: { whole.slice($0) })
            if !format.isImage { return .tensor(planes.tensor(dropSingleChannel: true)) }
            let raster = try makeRaster(out, alpha: alpha, format: format, settings: settings, inputDepth: inputDepth)
            let range = planes.range()
            let step = plan.defaultBandRows()
            ThreadLimit.perform(iterations: (out.height + step - 1) / step) { b in
                let band = whole.slice((b * step)..<min(out.height, (b + 1) * step))
                emit(band, into: raster, mapping: settings.mapping, range: range, alpha: alpha, plan: plan)
            }
            return .raster(raster)
        }
        let raster = try makeRaster(out, alpha: alpha, format: format, settings: settings, inputDepth: inputDepth)
        let mapping = settings.mapping
        plan.run(source: source) { band in
            emit(band, into: raster, mapping: mapping, alpha: alpha, plan: plan)
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

    /// A finished band as pixels: mapped to [0, 1], stored at the raster's
    /// bit depth, alpha carried alongside.
    static func emit(_ band: Band, into raster: RasterImage, mapping: PixelMapping, range: (Float, Float) = (0, 1),
                     alpha: RasterImage?, plan: PipelinePlan) {
        mapping.apply(band, range: range)
        raster.store(band)
        if let alpha { copyAlpha(from: alpha, to: raster, rows: band.rowRange, plan: plan) }
    }

    /// Alpha is not filtered: each output pixel takes the alpha of the input
    /// pixel under the centre of its window (the same pixel when the geometry
    /// is unchanged).
    static func copyAlpha(from src: RasterImage, to dst: RasterImage, rows: Range<Int>, plan: PipelinePlan) {
        guard dst.hasAlpha else { return }
        let scale = Float(dst.bitDepth == 8 ? 255 : 65535) / Float(src.bitDepth == 8 ? 255 : 65535)
        let sa = src.channels - 1, da = dst.channels - 1
        // Columns map the same way on every row: work them out once per band.
        let columns = (0..<dst.width).map(plan.sourceColumn)
        for y in rows {
            let sy = plan.sourceRow(y)
            for x in 0..<dst.width {
                let sx = columns[x]
                let v = Float(src.sample(sy, sx, sa)) * scale + 0.5
                let i = x * dst.channels + da
                if dst.bitDepth == 8 { dst.rowPointer(y).storeBytes(of: UInt8(v), toByteOffset: i, as: UInt8.self) }
                else { dst.rowPointer(y).storeBytes(of: UInt16(v), toByteOffset: 2 * i, as: UInt16.self) }
            }
        }
    }

    /// Rows of a tensor as a band in scratch memory (the tensor is a value
    /// whose storage cannot be lent out across threads).
    static func tensorBand(_ t: Tensor, rows: Range<Int>, scratch: Scratch) -> Band {
        let p = t.planes
        let band = scratch.band(channels: p.channels, firstRow: rows.lowerBound, rows: rows.count, width: p.width,
                                slot: ScratchSlot.source)
        t.storage.withUnsafeBufferPointer { src in
            for c in 0..<p.channels {
                band.row(c, rows.lowerBound).update(from: src.baseAddress! + (c * p.height + rows.lowerBound) * p.width,
                                                    count: rows.count * p.width)
            }
        }
        return band
    }
}

/// One raster input through a planned pipeline, whole or streaming: with
/// `inputRows` the bands wait for a decoder's rows, and `completion`
/// publishes finished output rows for an encoder running at the same time.
struct ImageJob {
    var input: RasterImage
    let plan: PipelinePlan
    let format: ImageFormat
    let settings: FilterSettings
    /// The raster whose alpha is carried through: the input itself.
    var alpha: RasterImage? { input.hasAlpha && settings.keepAlpha ? input : nil }

    init(input: RasterImage, pipeline: Pipeline, format: ImageFormat, settings: FilterSettings) throws {
        self.input = input
        self.format = format
        self.settings = settings
        plan = try pipeline.plan(for: Shape3(channels: input.colourChannels, height: input.height, width: input.width))
    }

    /// Streams straight into pixels: not for numeric outputs or `normalize`.
    var canStream: Bool { format.isImage && settings.mapping != .normalize }

    func runWhole() throws -> FilterOutput {
        let r = input
        return try FilterJob.finishWhole(plan: plan, source: { r.band(rows: $0, scratch: $1) }, alpha: alpha, inputDepth: input.bitDepth,
                                         format: format, settings: settings)
    }

    func makeOutput(rowCapacity: Int? = nil) throws -> RasterImage {
        let r = try FilterJob.makeRaster(plan.output, alpha: alpha, format: format, settings: settings, inputDepth: input.bitDepth)
        guard let rowCapacity, rowCapacity < r.height else { return r }
        return RasterImage(width: r.width, height: r.height, channels: r.channels, bitDepth: r.bitDepth, hasAlpha: r.hasAlpha,
                           rowCapacity: rowCapacity)
    }

    /// Fills `output` band by band as the input's rows arrive. With a ring
    /// output, a band waits for `outputSpace` (rows the encoder is done with)
    /// before taking over their slots.
    func runStreaming(into output: RasterImage, bandRows: Int, inputRows: RowProgress, completion: BandCompletion,
                      outputSpace: RowProgress?) {
        let r = input, mapping = settings.mapping, alpha = self.alpha, plan = self.plan
        let failed: @Sendable () -> Bool = { inputRows.error != nil || outputSpace?.error != nil }
        plan.run(bandRows: bandRows, cancelled: failed, source: { rows, scratch in
            // Rows a failed decoder never delivers are not read; the job reports the failure.
            if (try? inputRows.wait(for: rows.upperBound)) == nil {
                let empty = scratch.band(channels: r.colourChannels, firstRow: rows.lowerBound, rows: rows.count, width: r.width,
                                         slot: ScratchSlot.source)
                empty.base.initialize(repeating: 0, count: r.colourChannels * rows.count * r.width)
                return empty
            }
            return r.band(rows: rows, scratch: scratch)
        }) { band in
            if let outputSpace, band.rowRange.upperBound > output.rowCapacity,
               (try? outputSpace.wait(for: band.rowRange.upperBound - output.rowCapacity)) == nil {
                return // the encoder failed; the job reports it
            }
            FilterJob.emit(band, into: output, mapping: mapping, alpha: alpha, plan: plan)
            // A band computed after a failure may hold zeros: never publish it.
            if !failed() { completion.complete(rowsStartingAt: band.firstRow) }
        }
    }
}
