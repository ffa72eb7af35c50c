import Convolution
import Foundation
import ImageCodecs
import Kernels

/// Filters one input file into one output: decoding, filtering and encoding
/// overlap when they can (a PNG or JPEG in, an image out): the decoder runs on
/// its own thread, bands start as soon as their input rows exist, and the
/// encoder follows the finished rows.
public struct FilterRunner: Sendable {
    public var spec: PipelineSpec
    public var library: KernelLibrary
    public var settings = FilterSettings()
    public var encode = EncodeOptions()
    public var applyOrientation = true
    /// Called after each phase with its name, for CNNFILTER_PROFILE.
    public var phase: @Sendable (String) -> Void = { _ in }

    public init(spec: PipelineSpec, library: KernelLibrary) {
        self.spec = spec
        self.library = library
    }

    public func run(_ target: OutputTarget) throws {
        let source = try ImageReader.open(path: target.input, applyOrientation: applyOrientation)
        switch source {
        case .decoded(let input):
            phase("decode")
            try runWhole(input, target)
        case .streaming(let decoder):
            // Planned on a one-row stand-in; the streaming run sizes the real rows.
            let header = decoder.makeRaster(rowCapacity: 1)
            var job = try ImageJob(input: header, pipeline: try pipeline(channels: header.colourChannels),
                                   format: target.format, settings: settings)
            guard job.canStream else {
                job.input = decoder.makeRaster()
                let done = RowProgress()
                decoder.decode(into: job.input, progress: done)
                if let e = done.error { throw e }
                phase("decode")
                return try write(job.runWhole(), target)
            }
            try runStreaming(job, decoder: decoder, target: target)
        }
    }

    func pipeline(channels: Int) throws -> Pipeline {
        try spec.pipeline(library: library, inputChannels: channels)
    }

    func runWhole(_ input: DecodedInput, _ target: OutputTarget) throws {
        let channels: Int
        switch input {
        case .raster(let r): channels = r.colourChannels
        case .tensor(let t): channels = t.planes.channels
        }
        let result = try named(target.input) {
            try FilterJob.run(input, pipeline: try pipeline(channels: channels), format: target.format, settings: settings)
        }
        phase("filter")
        try write(result, target)
    }

    func write(_ result: FilterOutput, _ target: OutputTarget) throws {
        switch result {
        case .raster(let r): try ImageWriter.write(r, format: target.format, to: target.path, options: encode)
        case .tensor(let x): try ImageWriter.write(x, format: target.format, to: target.path)
        }
        phase("encode")
    }

    /// Decoder, bands and encoder at once. When the encoder works through
    /// the rows in order (PNG, JPEG to a file), the decoded input and the
    /// output are rings of rows: memory grows with the width and the kernel
    /// height, not the image's area. Otherwise (or when a band needs rows
    /// from far away, as the wrap border does) they hold whole images.
    /// Slack in each ring of rows, in bytes: 4 MB (CNNFILTER_RING_MB overrides
    /// it; the tests make it tiny to exercise the rings on small images).
    static let ringBytes = Int((ProcessInfo.processInfo.environment["CNNFILTER_RING_MB"].flatMap(Double.init) ?? 4) * 1048576)

    func runStreaming(_ planned: ImageJob, decoder: StreamingDecoder, target: OutputTarget) throws {
        let plan = planned.plan
        let bandRows = plan.defaultBandRows()
        let toStdout = target.path == "-"
        let inFlight = (activeCores + 2) * bandRows
        var inCapacity = decoder.height, outCapacity = plan.output.height
        let outRowBytes = try named(target.input) { try planned.makeOutput(rowCapacity: 1).rowBytes }
        if let window = ImageWriter.streamingWindow(format: target.format, rowBytes: outRowBytes) {
            // What the bands in flight need, and at least `ringBytes` of slack
            // so decoder, bands and encoder rarely wait for one another.
            let inRowBytes = decoder.width * decoder.channels * decoder.bitDepth / 8
            let needIn = (activeCores + 2) * plan.inputSpan(bandRows: bandRows) + StreamingDecoder.rowsPerStep
            inCapacity = min(inCapacity, max(needIn, Self.ringBytes / max(inRowBytes, 1)))
            if !toStdout { outCapacity = min(outCapacity, max(window + inFlight, Self.ringBytes / max(outRowBytes, 1))) }
        }
        phase("rings: input \(inCapacity) of \(decoder.height) rows, output \(outCapacity) of \(plan.output.height) rows")
        var job = planned
        job.input = decoder.makeRaster(rowCapacity: inCapacity)
        let output = try named(target.input) { try job.makeOutput(rowCapacity: outCapacity) }
        let inputRows = RowProgress()
        let released = RowProgress()   // input rows no band needs any more
        let consumed = RowProgress()   // output rows the encoder is done with
        let inputHeight = decoder.height
        let completion = BandCompletion(height: output.height, bandRows: bandRows) { prefix in
            released.advance(to: prefix >= output.height ? inputHeight : plan.firstInputRowNeeded(fromOutputRow: prefix))
        }
        decoder.start(into: job.input, progress: inputRows, released: job.input.isWhole ? nil : released)
        // Standard output cannot be taken back: write it only once every row is good.
        let encoder = toStdout ? nil : EncoderThread(onFailure: { consumed.fail($0) }) {
            try ImageWriter.write(output, format: target.format, to: target.path, options: self.encode,
                                  rowsReady: completion.progress, rowsConsumed: consumed)
        }
        job.runStreaming(into: output, bandRows: bandRows, inputRows: inputRows, completion: completion,
                         outputSpace: output.isWhole ? nil : consumed)
        do {
            if let e = consumed.error { throw e }
            // Bands may not need the input's last rows; its end must still check out.
            try inputRows.wait(for: inputHeight)
        } catch {
            completion.progress.fail(error)
            released.fail(error) // a decoder waiting for room gives up
            _ = encoder?.join()
            throw error
        }
        completion.release()
        phase("decode+filter")
        if let encoder {
            if let e = encoder.join() { throw e }
        } else {
            try ImageWriter.write(output, format: target.format, to: target.path, options: encode)
        }
        phase("encode")
    }

    /// Errors from the engine name the input file.
    func named<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let e as CodecError { throw e }
        catch { throw CodecError(path, "\(error)") }
    }
}

/// Runs an encoder on its own thread and hands back its error.
final class EncoderThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var error: Error?

    init(onFailure: @escaping (Error) -> Void, _ body: @escaping () throws -> Void) {
        Thread {
            do { try body() } catch { self.error = error; onFailure(error) }
            self.done.signal()
        }.start()
    }

    func join() -> Error? {
        done.wait()
        return error
    }
}
