import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Tensors

/// A chain of stages (kernels, activations, pooling) run band by band over
/// the cores. Each band of output rows is computed from exactly the input rows
/// it needs, so no stage ever holds a whole image.
public struct Pipeline: Sendable {
    public var stages: [any Stage]
    public init(_ stages: [any Stage]) { self.stages = stages }

    public func plan(for input: Shape3) throws -> PipelinePlan {
        var shape = input
        var planned: [any PlannedStage] = []
        for (i, stage) in stages.enumerated() {
            do {
                let p = try stage.plan(for: shape)
                planned.append(p)
                shape = p.output
            } catch let error as ConvolutionError {
                throw PipelineError(stageIndex: i + 1, stage: stage.summary, input: shape, reason: error.description)
            }
        }
        return PipelinePlan(stages: planned, input: input, output: shape)
    }
}

public struct PipelineError: Error, CustomStringConvertible {
    public let stageIndex: Int
    public let stage: String
    public let input: Shape3
    public let reason: String
    public var description: String { "step \(stageIndex) (\(stage)) on a \(input) input: \(reason)" }
}

public struct PipelinePlan: Sendable {
    public let stages: [any PlannedStage]
    public let input: Shape3
    public let output: Shape3

    /// Rows per band: at least four bands per core to balance the load, at
    /// most 64 rows so a band's buffers stay small (a few MB for a 4000-pixel
    /// wide RGB image) and near the caches, and at least 8 so that the halo
    /// rows a kernel rereads stay a small share.
    public func defaultBandRows(cores: Int = activeCores) -> Int {
        let target = max(1, cores * 4)
        return min(64, max(8, (output.height + target - 1) / target))
    }

    /// Computes the output band by band, in parallel. `source` returns input
    /// rows as a band; `sink` receives each finished output band (bands are
    /// disjoint, and arrive from several threads at once).
    /// Bands not yet started are skipped once `cancelled` returns true.
    public func run(bandRows: Int? = nil,
                    cancelled: @escaping @Sendable () -> Bool = { false },
                    source: @escaping @Sendable (Range<Int>) -> Band,
                    sink: @escaping @Sendable (Band) -> Void) {
        _ = allocatorTuned
        let rowsPerBand = max(1, bandRows ?? defaultBandRows())
        let bands = (output.height + rowsPerBand - 1) / rowsPerBand
        let work: @Sendable (Int) -> Void = { b in
            if cancelled() { return }
            let rows = (b * rowsPerBand)..<min(output.height, (b + 1) * rowsPerBand)
            sink(self.computeBand(rows, source: source))
        }
        if bands <= 1 {
            (0..<bands).forEach(work)
        } else {
            DispatchQueue.concurrentPerform(iterations: bands, execute: work)
        }
    }

    /// Output rows `rows`, from the input rows they need.
    public func computeBand(_ rows: Range<Int>, source: (Range<Int>) -> Band) -> Band {
        var needed = [rows]
        for stage in stages.reversed() { needed.append(stage.inputRows(for: needed.last!)) }
        needed.reverse() // needed[i]: rows of stage i's input; needed.last: the output rows
        var band = source(needed[0])
        for (i, stage) in stages.enumerated() { band = stage.forward(band, rows: needed[i + 1]) }
        return band
    }

    /// The whole tensor at once (small inputs, tests, the text and npy paths).
    public func apply(_ tensor: Tensor) -> Tensor {
        let p = tensor.planes
        precondition(p.channels == input.channels && p.height == input.height && p.width == input.width)
        let out = computeBand(0..<output.height) { rows in
            var band = Band(channels: p.channels, firstRow: rows.lowerBound, rows: rows.count, width: p.width)
            for c in 0..<p.channels {
                let s = (c * p.height + rows.lowerBound) * p.width
                let d = band.offset(channel: c, row: rows.lowerBound)
                band.data[d..<(d + rows.count * p.width)] = tensor.storage[s..<(s + rows.count * p.width)]
            }
            return band
        }
        return Tensor(shape: [output.channels, output.height, output.width], values: out.data)
    }

    /// The input pixel under the centre of output pixel (y, x), through every stage.
    public func sourcePixel(row y: Int, column x: Int) -> (row: Int, column: Int) {
        var r = y, c = x
        for stage in stages.reversed() { r = stage.sourceRow(r); c = stage.sourceColumn(c) }
        return (r, c)
    }

    /// True when output pixel (y, x) lies over input pixel (y, x).
    public var keepsGeometry: Bool {
        input.height == output.height && input.width == output.width
            && stages.allSatisfy { $0.sourceRow(0) == 0 && $0.sourceColumn(0) == 0 }
    }
}

/// Bands allocate buffers of a few MB each. glibc serves blocks above 128 KB
/// with mmap and returns them with munmap, so every band would fault its pages
/// in anew: measured 0.2 s of system time on a 12-megapixel photo, half the
/// run. Raising the threshold keeps such buffers in the heap for reuse.
let allocatorTuned: Bool = {
    #if canImport(Glibc)
    _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 64 << 20)
    _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 128 << 20)
    #endif
    return true
}()

#if canImport(Glibc)
/// glibc's mallopt (malloc.h is not part of the Glibc module).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Cores the engine spreads work over.
public let activeCores: Int = {
    #if canImport(Glibc)
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return 4
    #endif
}()
