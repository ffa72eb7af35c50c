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
            let raster = decoder.makeRaster()
            let job = try ImageJob(input: raster, pipeline: try pipeline(channels: raster.colourChannels),
                                   format: target.format, settings: settings)
            guard job.canStream else {
                let done = RowProgress()
                decoder.decode(into: raster, progress: done)
                if let e = done.error { throw e }
                phase("decode")
                return try write(job.runWhole(), target)
            }
            try runStreaming(job, decoder: decoder, target: target)
        }
    }

    func pipeline(channels: Int) throws -> Pipeline {
        do { return try spec.pipeline(library: library, inputChannels: channels) }
        catch let e as KernelError { throw e }
        catch let e as SpecError { throw e }
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

    func runStreaming(_ job: ImageJob, decoder: StreamingDecoder, target: OutputTarget) throws {
        let output = try named(target.input) { try job.makeOutput() }
        let inputRows = RowProgress()
        let completion = BandCompletion(height: output.height, bandRows: job.plan.defaultBandRows())
        decoder.start(into: job.input, progress: inputRows)
        // Standard output cannot be taken back: write it only once every row is good.
        let toStdout = target.path == "-"
        let encoder = toStdout ? nil : EncoderThread {
            try ImageWriter.write(output, format: target.format, to: target.path, options: self.encode,
                                  rowsReady: completion.progress)
        }
        job.runStreaming(into: output, inputRows: inputRows, completion: completion)
        do {
            // Bands may not need the input's last rows; its end must still check out.
            try inputRows.wait(for: job.input.height)
        } catch {
            completion.progress.fail(error)
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

    init(_ body: @escaping () throws -> Void) {
        Thread {
            do { try body() } catch { self.error = error }
            self.done.signal()
        }.start()
    }

    func join() -> Error? {
        done.wait()
        return error
    }
}
