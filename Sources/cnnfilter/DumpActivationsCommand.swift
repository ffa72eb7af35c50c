import ArgumentParser
import FilterPipeline
import Foundation
import ImageCodecs
import Kernels
import Tensors
import NeuralNet
import Visualize

struct DumpActivationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-activations",
        abstract: "Write every channel of every layer of an ONNX model as images.",
        discussion: """
        DIR/index.html opens with the input as the model saw it, the prediction
        (the top classes with names and probabilities) and a table of the layers,
        then shows each layer in order. Maps: DIR/NAME/NNN.png (one image per
        channel, at the layer's resolution) and DIR/NAME.png (a contact sheet with
        channel indices and a colour bar; click a channel to see it large).
        Vectors (C×1×1, fully connected): DIR/NAME.png, bars on one scale. The
        output: class bars. With --npy DIR/NAME.npy (the raw values). Nodes whose
        value does not depend on the input (constants, Identity, shape arithmetic)
        are left out unless --all-nodes. Layer names are those of `cnnfilter info`.
          cnnfilter dump-activations lenet5.onnx digit.png -o acts/
          cnnfilter dump-activations model.onnx --input x.npy -o acts/ --layers c1,c3 --colormap viridis --npy
          cnnfilter dump-activations --kernel edge --kernel sobel-x --kernel laplacian photo.png -o acts/
          cnnfilter dump-activations model.onnx --files-from list.txt -o acts/ --keep-tree --skip-existing
          cnnfilter dump-activations lenet5.onnx boot.png -o acts/ --explain gradcam --visualize
        --explain METHOD adds the explanations of the top 3 classes (--explain-top),
        each as 'cnnfilter explain --method METHOD --class C' draws it
        (DIR/explain/METHOD-classC.png); --visualize adds, beside each
        convolution's maps, what its channels look for, as 'cnnfilter visualize
        --layer NAME' draws it (DIR/features/NAME.png).
        Several photos (or --files-from) write one directory each, DIR/NAME/, into the
        existing directory DIR; --skip-existing skips those that have their index.html.
        With --kernel (repeatable) there is no model: the kernels are one layer
        over the grey photo, as in the lecture's "image convolved with six filters".
        """
    )

    @Argument(help: "An ONNX model file (or, with --kernel, the photo).")
    var model: String

    @Argument(help: "Photos (resized and converted to the model's input).")
    var photos: [String] = []

    @OptionGroup var batch: BatchOptions

    @Option(name: [.short, .long], help: "A kernel to use as a filter of a one-layer model; repeatable.")
    var kernel: [String] = []

    @Option(help: "A .npy input tensor, used as it is (instead of a photo).")
    var input: String?

    @Option(name: [.short, .long], help: ArgumentHelp("The output directory (created if missing), or - for one layer's "
            + "picture (DIR/NAME.png) as PNG on standard output, with --layers naming that layer."))
    var output: String

    @Option(help: ArgumentHelp("all, or layers separated by commas: names (any case), their beginnings, "
            + "or operators (Conv: every Conv node), as 'cnnfilter info' lists them."))
    var layers = "all"

    @Flag(help: "Also write each layer's raw output as NAME.npy.")
    var npy = false

    @Flag(help: "Also show nodes whose value does not depend on the input (constants, Identity, shape arithmetic).")
    var allNodes = false

    @Option(help: ArgumentHelp("Class names, one per line, or imagenet (ImageNet's 1000, torchvision's order; "
            + "default: the model's own, which 'cnnfilter train' stores)."))
    var labels: String?

    @Option(help: "How many classes the prediction lists.")
    var top = 5

    @Flag(help: "Blend each map over the photo as a heat map (at the model's input size).")
    var overlay = false

    @Option(help: "gray, viridis, inferno, magma or turbo (default: gray, turbo with --overlay).")
    var colormap: String?

    @Option(help: ArgumentHelp("percentile (each channel from its 1st to 99th percentile), channel (min to max) "
            + "or layer (one range for all channels)."))
    var normalize = "percentile"

    @OptionGroup var extras: ReportExtraOptions

    @OptionGroup var preparation: InputOptions

    func validate() throws {
        if output == "-" && (extras.explain != nil || extras.visualize) {
            throw ValidationError("-o -: --explain and --visualize write files; give a directory")
        }
        if !kernel.isEmpty && extras.explain != nil {
            throw ValidationError("--explain needs a classifier; --kernel makes a one-layer model without classes")
        }
    }

    func run() throws {
        batch.limitThreads()
        if !kernel.isEmpty { return runKernels() }
        guard let cmap = Colormap(rawValue: colormapName) else {
            fail(ValidationError("--colormap '\(colormapName)': expected gray, viridis, inferno, magma or turbo"))
        }
        guard let norm = Normalization(rawValue: normalize) else {
            fail(ValidationError("--normalize '\(normalize)': expected percentile, channel or layer"))
        }
        if batch.isBatch || photos.count > 1 { return try runMany(colormap: cmap, normalization: norm) }
        guard (photos.first == nil) != (input == nil) else {
            fail(ValidationError("give either a photo or --input X.npy"))
        }
        let prep: InputPreparation
        do { prep = try preparation.preparation() } catch { fail(error) }
        do {
            let graph = try ONNXLoader.load(path: model)
            guard graph.inputs.count == 1 else {
                throw ModelError("\(model): the model takes \(graph.inputs.count) inputs; give it one")
            }
            try write(graph: graph, file: photos.first ?? input!, preparation: prep, colormap: cmap,
                      normalization: norm)
        } catch { fail(error) }
    }

    /// Many inputs: DIR/NAME/ for each, several at once.
    func runMany(colormap: Colormap, normalization: Normalization) throws {
        let report: BatchReport, selected: Int, listed: Int
        do {
            guard output != "-" else { throw SpecError("-o -: several inputs write one directory each; give -o DIR/") }
            let all = try batch.inputs(positional: (input.map { [$0] } ?? []) + photos, done: "dumped")
            let targets = try batch.select(try OutputPlan.directories(inputs: all, output: output,
                                                                      keepTree: batch.keepTree))
            let prep = try preparation.preparation()
            let graph = try ONNXLoader.load(path: model)
            guard graph.inputs.count == 1 else {
                throw ModelError("\(model): the model takes \(graph.inputs.count) inputs; give it one")
            }
            // The feature pictures do not depend on the input: made once for the whole batch.
            var dump = try configure(graph: graph, colormap: colormap, normalization: normalization, preparation: prep)
                .prepared(graph: graph)
            dump.progress = { _ in }
            batch.removeLeftovers(of: targets)
            let progress = BatchProgressLine(enabled: targets.count > 1)
            var job = batch.targetBatch(progress)
            job.isDone = { FileManager.default.fileExists(atPath: $0.path + "/index.html") }
            let overlay = self.overlay
            report = job.run(targets) { t in
                try dump.run(graph: graph, file: t.input, preparation: prep, overlay: overlay, into: t.path)
            }
            progress.finish()
            (selected, listed) = (targets.count, all.count)
        } catch { fail(error) }
        try batch.finish(report, selected: selected, listed: listed)
    }

    /// Heat maps over a photo read best in a colour map; maps alone in grey.
    var colormapName: String { colormap ?? (overlay ? "turbo" : "gray") }

    func write(graph: Graph, file: String, preparation: InputPreparation, colormap: Colormap,
               normalization: Normalization, kernels: [KernelMatrix]? = nil) throws {
        var dump = try configure(graph: graph, colormap: colormap, normalization: normalization,
                                 preparation: preparation)
        if let kernels {
            dump.kernels = kernels
            dump.title = "\(kernels.count) kernel\(kernels.count == 1 ? "" : "s") on "
                + URL(fileURLWithPath: file).lastPathComponent
        }
        if output == "-" {
            guard !npy else { throw ValidationError("-o -: --npy writes files; give a directory") }
            let (x, background) = try ActivationDump.input(file, for: graph, preparation: preparation,
                                                           overlay: overlay)
            dump.inputDescription = file
            dump.overlay = background
            let (layer, image) = try dump.sheet(graph: graph, input: x)
            try ImageWriter.write(image, format: .png, to: "-")
            let shape = layer.shape.map(String.init).joined(separator: "×")
            FileHandle.standardError.write(Data("cnnfilter: \(layer.name) \(shape) to standard output\n".utf8))
            return
        }
        let written = try dump.run(graph: graph, file: file, preparation: preparation, overlay: overlay, into: output)
        let done = "cnnfilter: \(written.count) layers in \(output)/ (open \(output)/index.html)\n"
        FileHandle.standardError.write(Data(done.utf8))
    }

    /// The dump as the options ask for it.
    func configure(graph: Graph, colormap: Colormap, normalization: Normalization,
                   preparation: InputPreparation) throws -> ActivationDump {
        var dump = ActivationDump()
        try extras.configure(&dump, preparation: preparation)
        dump.allNodes = allNodes
        dump.top = top
        dump.title = URL(fileURLWithPath: model).lastPathComponent
        if let labels {
            dump.labels = try Prediction.labels(file: labels)
            dump.labelSource = labels
        }
        dump.colormap = colormap
        dump.normalization = normalization
        dump.writeNPY = npy
        if layers != "all" {
            let words = layers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            do { dump.layers = try LayerSelection.names(words, in: graph) } catch let e as ModelError {
                throw ModelError("\(kernel.isEmpty ? model : "--layers"): \(e.message)")
            }
        }
        dump.progress = { FileHandle.standardError.write(Data("cnnfilter: \($0)\n".utf8)) }
        return dump
    }

    /// Classic kernels as one layer over the grey photo at its own size.
    func runKernels() {
        guard photos.isEmpty, input == nil else { fail(ValidationError("with --kernel, give only the photo")) }
        guard !batch.isBatch else {
            fail(ValidationError("--kernel draws one photo; for many, run 'cnnfilter --files-from LIST --kernel K'"))
        }
        guard let cmap = Colormap(rawValue: colormapName), let norm = Normalization(rawValue: normalize) else {
            fail(ValidationError("unknown --colormap or --normalize"))
        }
        do {
            let library = KernelLibrary.standard()
            let kernels = try kernel.map { try library.resolve($0) }
            guard case .raster(let r) = try ImageReader.read(path: model) else {
                throw CodecError(model, "not an image")
            }
            let graph = try KernelBankModel.graph(kernels: kernels, height: r.height, width: r.width)
            try write(graph: graph, file: model, preparation: InputPreparation(), colormap: cmap, normalization: norm,
                      kernels: kernels.allSatisfy(\.isPlain) ? kernels.map(KernelMatrix.init) : nil)
        } catch { fail(error) }
    }
}
