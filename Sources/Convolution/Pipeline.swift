import Dispatch
import Tensors
#if canImport(Glibc)
import Glibc
#endif

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

    /// Rows per band: at least four bands per core to balance the load; a
    /// band's widest Float32 buffer near 1 MB, so the buffers stay near the
    /// caches whatever the image's width; between 4 and 64 rows, so that the
    /// halo rows a kernel rereads stay a small share.
    public func defaultBandRows(cores: Int = activeCores) -> Int {
        let widest = ([input] + stages.map(\.output)).map { $0.channels * $0.width * 4 }.max() ?? 1
        let byMemory = max(4, min(64, (1 << 20) / max(widest, 1)))
        let target = max(1, cores * 4)
        return max(1, min(byMemory, (output.height + target - 1) / target))
    }

    /// The input rows that output `rows` need, through every stage.
    public func inputRows(for rows: Range<Int>) -> Range<Int> {
        var r = rows
        for stage in stages.reversed() { r = stage.inputRows(for: r) }
        return r
    }

    /// The most input rows one band of `bandRows` output rows needs at once.
    public func inputSpan(bandRows: Int) -> Int {
        let starts = Set([0, output.height / 2, max(0, output.height - bandRows)])
        return starts.map { inputRows(for: $0..<min(output.height, $0 + bandRows)).count }.max() ?? 0
    }

    /// The first input row that output rows from `row` on still need.
    public func firstInputRowNeeded(fromOutputRow row: Int) -> Int {
        guard row < output.height else { return input.height }
        return min(inputRows(for: row..<(row + 1)).lowerBound,
                   inputRows(for: (output.height - 1)..<output.height).lowerBound)
    }

    /// Computes the output band by band, in parallel. `source` gives the
    /// input rows asked for as a band (a view of the input, or rows converted
    /// into the scratch memory it is handed, slot `ScratchSlot.source`);
    /// `destination`, if given, is where the output rows go (else scratch);
    /// `sink` then receives each finished band, from several threads at once.
    /// Bands not yet started are skipped once `cancelled` returns true.
    public func run(bandRows: Int? = nil,
                    cancelled: @escaping @Sendable () -> Bool = { false },
                    source: @escaping @Sendable (Range<Int>, Scratch) -> Band,
                    destination: (@Sendable (Range<Int>) -> Band)? = nil,
                    sink: @escaping @Sendable (Band) -> Void = { _ in }) {
        _ = allocatorTuned
        let rowsPerBand = max(1, bandRows ?? defaultBandRows())
        let bands = (output.height + rowsPerBand - 1) / rowsPerBand
        let work: @Sendable (Int) -> Void = { b in
            if cancelled() { return }
            let rows = (b * rowsPerBand)..<min(output.height, (b + 1) * rowsPerBand)
            let scratch = ScratchPool.shared.take()
            defer { ScratchPool.shared.give(scratch) }
            sink(self.computeBand(rows, scratch: scratch, source: source, destination: destination?(rows)))
        }
        if bands <= 1 {
            (0..<bands).forEach(work)
        } else {
            ThreadLimit.perform(iterations: bands, execute: work)
        }
    }

    /// Output rows `rows`, from the input rows they need, into `destination`
    /// or scratch memory.
    public func computeBand(_ rows: Range<Int>, scratch: Scratch, source: (Range<Int>, Scratch) -> Band,
                            destination: Band? = nil) -> Band {
        var needed = [rows]
        for stage in stages.reversed() { needed.append(stage.inputRows(for: needed.last!)) }
        needed.reverse() // needed[i]: rows of stage i's input; needed.last: the output rows
        var band = source(needed[0], scratch)
        for (i, stage) in stages.enumerated() {
            let r = needed[i + 1]
            let out = i == stages.count - 1 && destination != nil ? destination!
                : scratch.band(channels: stage.output.channels, firstRow: r.lowerBound, rows: r.count,
                               width: stage.output.width, slot: i % 2 == 0 ? ScratchSlot.ping : ScratchSlot.pong)
            stage.forward(band, into: out, scratch: scratch)
            band = out
        }
        if stages.isEmpty, let destination {
            band.forEachRow { c, y, row in destination.row(c, y).update(from: row, count: band.width) }
            return destination
        }
        return band
    }

    /// The whole tensor, band by band on all cores.
    public func apply(_ tensor: Tensor) -> Tensor {
        let p = tensor.planes
        precondition(p.channels == input.channels && p.height == input.height && p.width == input.width)
        var result = Tensor(shape: [output.channels, output.height, output.width])
        let out = output
        tensor.storage.withUnsafeBufferPointer { src in
            result.storage.withUnsafeMutableBufferPointer { dst in
                let inBase = UnsafeMutablePointer(mutating: src.baseAddress!), outBase = dst.baseAddress!
                let whole = Band(base: inBase, channels: p.channels, firstRow: 0, rows: p.height, width: p.width)
                let target = Band(base: outBase, channels: out.channels, firstRow: 0, rows: out.height, width: out.width)
                run(source: { rows, _ in whole.slice(rows) }, destination: { target.slice($0) })
            }
        }
        return result
    }

    /// The padding a convolution stage resolved to (nil for other stages).
    public func padding(ofStage i: Int) -> Padding? { (stages[i] as? PlannedConv2D)?.padding }

    /// The input pixel under the centre of output pixel (y, x), through every stage.
    public func sourcePixel(row y: Int, column x: Int) -> (row: Int, column: Int) {
        (sourceRow(y), sourceColumn(x))
    }

    public func sourceRow(_ y: Int) -> Int { stages.reversed().reduce(y) { $1.sourceRow($0) } }
    public func sourceColumn(_ x: Int) -> Int { stages.reversed().reduce(x) { $1.sourceColumn($0) } }
}

/// Bands allocate buffers of a few MB each. glibc serves blocks above 128 KB
/// with mmap and returns them with munmap, so every new block faults its
/// pages in anew: measured 0.2 s of system time on a 12-megapixel photo, half
/// the run. Raising the threshold keeps such buffers in the heap for reuse.
/// The model runner evaluates it too: every operator allocates its output.
public let allocatorTuned: Bool = {
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
