import ArgumentParser
import Convolution
import Dispatch
import FilterPipeline
import Foundation
import ImageCodecs
import Kernels

struct FilterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filter",
        abstract: "Convolve images with kernels, then activations and pooling, as a CNN layer does.",
        discussion: """
        Steps run in the order given. Examples:
          cnnfilter photo.png --kernel laplacian -o edges.png
          cnnfilter photo.jpg --kernel sharpen | display -
          cnnfilter *.jpg --kernel gaussian:sigma=2 -o blurred/
          cnnfilter photo.png --kernel sobel-x --activation relu --pool max:2 -o block.png
          cnnfilter e1.txt --kernel '1 0 1; 0 1 0; 1 0 1' --padding valid --print
          cnnfilter e5.txt --pool max:2 --print
          find photos -name '*.jpg' -print0 | cnnfilter --files-from - -0 --kernel sharpen -o out/ --keep-tree
          cnnfilter --files-from list.txt --shard 2/4 --skip-existing --kernel edge -o out/
        Kernels: a name (cnnfilter kernels), a file, an inline matrix with rows
        separated by ';', gaussian:sigma=S, gaussian:N, box:N.
        """
    )

    @Argument(help: "Input files: PNG, JPEG, PNM, .npy or a text matrix (- for standard input).")
    var inputs: [String] = []

    @OptionGroup var batch: BatchOptions

    @Option(name: [.short, .long], help: "A kernel; repeat to chain filters.")
    var kernel: [String] = []

    @Option(name: [.short, .long], help: "relu, leaky-relu[:SLOPE], sigmoid or tanh; repeatable.")
    var activation: [String] = []

    @Option(help: "max:F[:S] or avg:F[:S], F and S a number or HxW (stride defaults to F); repeatable.")
    var pool: [String] = []

    @Option(help: "Stride of every kernel: N, or HxW (vertical x horizontal, e.g. 3x2).")
    var stride = "1"

    @Option(help: "Dilation of every kernel: N or HxW.")
    var dilation = "1"

    @Option(help: "same (output size = input size), valid, N pixels, HxW or T,B,L,R (zeros unless --border).")
    var padding = "same"

    @Option(help: "Outside the image: reflect, replicate, zero or wrap (default: zero, reflect with same).")
    var border: String?

    @Flag(help: "Rotate kernels by 180° (mathematical convolution instead of cross-correlation).")
    var flip = false

    @Flag(help: "Convert RGB to one grey channel before filtering.")
    var grayscale = false

    @Option(help: "How results become pixels: clamp, abs, offset (0 is mid-grey) or normalize.")
    var map = "clamp"

    @Option(name: [.short, .long], help: "Output file, directory (ending in /) or - for standard output.")
    var output: String?

    @Option(help: "Output format: png, jpeg, ppm, pgm, npy or txt (default: from -o's extension, else png).")
    var format: String?

    @Option(help: "JPEG quality, 1 to 100.")
    var quality = 90

    @Option(help: "Bit depth of image outputs, 8 or 16 (default: the input's).")
    var depth: Int?

    @Option(name: .customLong("png-level"), help: "PNG compression level, 0 (fastest) to 9 (smallest).")
    var pngLevel = 6

    @Flag(help: "Print the result as numbers on standard output.")
    var print = false

    @Flag(name: .customLong("drop-alpha"), help: "Drop the alpha channel instead of carrying it through.")
    var dropAlpha = false

    @Flag(name: .customLong("no-orient"), help: "Ignore the EXIF orientation of JPEG photos.")
    var noOrient = false

    func validate() throws {
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100") }
        guard (0...9).contains(pngLevel) else { throw ValidationError("--png-level must be between 0 and 9") }
        if let depth, depth != 8 && depth != 16 { throw ValidationError("--depth must be 8 or 16") }
    }

    func run() throws {
        batch.limitThreads()
        // Checked here, not in validate(): ArgumentParser validates before it reports unknown options,
        // so a misspelled --kernel would read as "nothing to do".
        guard !kernel.isEmpty || !pool.isEmpty || !activation.isEmpty || grayscale else {
            fail(SpecError("nothing to do: give --kernel, --pool, --activation or --grayscale"))
        }
        var spec = PipelineSpec()
        spec.steps = StepOrder.steps(arguments: CommandLine.arguments, kernels: kernel, activations: activation, pools: pool)
        spec.flip = flip
        spec.grayscale = grayscale
        do {
            (spec.strideY, spec.strideX) = try PipelineSpec.axes(stride, option: "--stride")
            (spec.dilationY, spec.dilationX) = try PipelineSpec.axes(dilation, option: "--dilation")
            spec.padding = try PipelineSpec.padding(padding)
            if let border {
                guard let b = BorderMode(rawValue: border) else {
                    throw SpecError("--border '\(border)': expected reflect, replicate, zero or wrap")
                }
                spec.border = b
            }
        } catch { fail(error) }
        var settings = FilterSettings()
        guard let mapping = PixelMapping(rawValue: map) else { fail(SpecError("--map '\(map)': expected clamp, abs, offset or normalize")) }
        settings.mapping = mapping
        settings.keepAlpha = !dropAlpha
        settings.outputBitDepth = depth
        var outFormat: ImageFormat? = nil
        if let format {
            guard let f = ImageFormat(rawValue: format == "jpg" ? "jpeg" : format) else {
                fail(SpecError("--format '\(format)': expected png, jpeg, ppm, pgm, npy or txt"))
            }
            outFormat = f
        }
        let encode = EncodeOptions(jpegQuality: quality, pngLevel: pngLevel)
        let library = KernelLibrary.standard()
        // Resolve kernels once up front, so a bad kernel fails before any file is read.
        do { _ = try spec.pipeline(library: library, inputChannels: 3) } catch { fail(error) }

        let all: [String], targets: [OutputTarget]
        do {
            all = try batch.inputs(positional: inputs)
            targets = try batch.select(try OutputPlan.targets(
                inputs: all, output: output, format: outFormat, printText: print,
                stdoutIsTerminal: isatty(STDOUT_FILENO) != 0, keepTree: batch.keepTree))
        } catch { fail(error) }

        let profile = ProcessInfo.processInfo.environment["CNNFILTER_PROFILE"] != nil
        var runner = FilterRunner(spec: spec, library: library)
        runner.settings = settings
        runner.encode = encode
        runner.applyOrientation = !noOrient
        batch.removeLeftovers(of: targets)
        let progress = BatchProgressLine(enabled: targets.count > 1)
        let report = batch.targetBatch(progress).run(targets) { target in
            guard profile else { return try runner.run(target) }
            var r = runner
            let clock = PhaseClock(enabled: true, label: target.input)
            r.phase = { clock.lap($0) }
            try r.run(target)
        }
        progress.finish()
        try batch.finish(report, selected: targets.count, listed: all.count)
    }
}

/// With CNNFILTER_PROFILE set, prints how long each phase took to stderr.
final class PhaseClock: @unchecked Sendable {
    let enabled: Bool
    let label: String
    var last = DispatchTime.now()
    init(enabled: Bool, label: String) { self.enabled = enabled; self.label = label }
    func lap(_ phase: String) {
        guard enabled else { return }
        let now = DispatchTime.now()
        if phase.hasPrefix("rings") {
            FileHandle.standardError.write(Data("cnnfilter: \(label): \(phase)\n".utf8))
            return
        }
        let ms = Double(now.uptimeNanoseconds - last.uptimeNanoseconds) / 1e6
        FileHandle.standardError.write(Data("cnnfilter: \(label): \(phase) \(String(format: "%.1f", ms)) ms\n".utf8))
        last = now
    }
}

func printError(_ error: Error) {
    FileHandle.standardError.write(Data("cnnfilter: \(error)\n".utf8))
}

/// Reports an error the way every command does: one line, exit status 1.
func fail(_ error: Error) -> Never {
    printError(error)
    Foundation.exit(1)
}
