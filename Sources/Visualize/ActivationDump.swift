import Explain
import Foundation
import ImageCodecs
import NeuralNet
import Tensors

/// Writes what every chosen layer of a model computes, and DIR/index.html:
/// the input as the model saw it, the prediction, an overview of the layers,
/// then a section per layer in order. Maps (C×H×W) get one image per channel
/// (DIR/NAME/NNN.png) and a contact sheet (DIR/NAME.png); vectors (C×1×1, N×F)
/// a bar chart on one scale (DIR/NAME.png); the output class bars. Optionally
/// the raw values (DIR/NAME.npy). Nodes that do not depend on the input
/// (`GraphPlumbing`) are left out unless `allNodes` or named in `layers`.
public struct ActivationDump {
    public var colormap: Colormap = .gray
    public var normalization: Normalization = .percentile
    public var writeNPY = false
    /// Layer names to keep; nil for all.
    public var layers: Set<String>? = nil
    /// Blend every map over this photo as a heat map (`--overlay`).
    public var overlay: OverlayBackground? = nil
    /// Also show nodes whose value does not depend on the input (constants, Identity, shape arithmetic).
    public var allNodes = false
    /// Class names for the output (default: the model's metadata labels), and where they came from.
    public var labels: [String]? = nil
    public var labelSource: String? = nil
    /// How many classes the prediction lists.
    public var top = 5
    /// The page's heading (the model's file name, say) and what the input was (a photo's path).
    public var title: String? = nil
    public var inputDescription: String? = nil
    /// Explain the top `explanationTop` classes (`ReportExplanation`), drawn over `photo` (default: the
    /// input stretched to [0, 1]).
    public var explanation: ExplanationSettings? = nil
    public var explanationTop = 3
    public var photo: OverlayBackground? = nil
    /// Draw what each convolution's channels look for (`ReportFeatures`).
    public var features: ReportFeatures? = nil
    /// A kernel bank's kernels (`KernelBankModel`), one per channel of its layer: tiles and page name them and
    /// show their matrices.
    public var kernels: [KernelMatrix]? = nil
    /// Progress lines (stderr in the CLI).
    public var progress: (String) -> Void = { _ in }

    public init() {}

    public struct Layer: Sendable {
        public var name, opType: String
        public var shape: [Int]
        public var range: (Float, Float)
        /// How the layer is drawn: maps as a contact sheet, a vector as bars, the output as class bars.
        public var view: View
    }

    public enum View: String, Sendable { case maps, vector, classes }

    /// Writes into a hidden directory beside `target` and moves the files into
    /// place only when every layer is done, so a failure leaves nothing behind.
    @discardableResult
    public func run(graph: Graph, input: Tensor, into target: String) throws -> [Layer] {
        let runner = try ModelRunner(graph)
        let names = Set(graph.nodes.map(\.displayName))
        if let layers {
            for l in layers where !names.contains(l) {
                throw ModelError("no layer named '\(l)' (cnnfilter info lists them)")
            }
        }
        let explained = try explaining(graph: graph, input: input), dump = try renderingFeatures(graph: graph)
        return try OutputDirectory.write(target) { dir in
            try dump.write(runner: runner, graph: graph, input: input, explained: explained, into: dir)
        }
    }

    /// The picture of the one layer `layers` names, as `run` draws it in DIR/NAME.png (a contact sheet, bars,
    /// or class bars), for writing to standard output; nothing is written. Throws unless `layers` names one
    /// (or, without `layers`, the model has one layer).
    public func sheet(graph: Graph, input: Tensor) throws -> (layer: Layer, image: RasterImage) {
        let plumbing = GraphPlumbing.plumbing(in: graph)
        let named = layers.map { $0.sorted() } ?? graph.nodes.indices.filter { !plumbing.contains($0) }
            .map { graph.nodes[$0].displayName }
        guard named.count == 1, let name = named.first else {
            let which = layers == nil ? "" : " (\(named.count): \(named.prefix(5).joined(separator: ", "))"
                + (named.count > 5 ? ", …)" : ")")
            throw ModelError("-o -: standard output takes one layer's picture; name one with --layers\(which)")
        }
        let names = labels ?? Prediction.labels(of: graph)
        let outputs = Set(graph.outputs)
        var found: (Layer, RasterImage)? = nil
        _ = try ModelRunner(graph).run([graph.inputs[0].name: input]) { node, outs in
            guard found == nil, node.displayName == name, let out = outs.first else { return }
            let maps = LayerMaps(out)
            var layer = Layer(name: name, opType: node.opType, shape: out.shape, range: maps.finiteRange, view: .maps)
            let image: RasterImage
            if outputs.contains(node.outputs.first ?? ""), let p = Prediction(output: out, labels: names) {
                layer.view = .classes
                image = VectorChart.classes(p)
            } else if maps.height * maps.width == 1 || (maps.channels == 1 && maps.height == 1) {
                layer.view = .vector
                image = VectorChart.bars(maps.values)
            } else {
                let ranges = normalization.ranges((0..<maps.channels).map(maps.channel))
                let shared = normalization == .layer ? ranges.first : nil
                image = ContactSheet.sheet(maps, ranges: ranges, colormap: colormap, sharedRange: shared,
                                           overlay: overlay, kernels: kernels).image
            }
            found = (layer, image)
        }
        guard let found else { throw ModelError("layer '\(name)' was not computed") }
        return found
    }

    /// Whether the report shows node `index`, named `name`.
    func shows(_ index: Int, _ name: String, plumbing: Set<Int>) -> Bool {
        if let layers { return layers.contains(name) }
        return allNodes || !plumbing.contains(index)
    }

    func write(runner: ModelRunner, graph: Graph, input: Tensor, explained: Explained?,
               into dir: String) throws -> [Layer] {
        let plumbing = GraphPlumbing.plumbing(in: graph)
        func shown(_ index: Int, _ name: String) -> Bool { shows(index, name, plumbing: plumbing) }
        let nodeIndex = Dictionary(graph.nodes.enumerated().map { ($1.outputs.first ?? "", $0) },
                                   uniquingKeysWith: { a, _ in a })
        let total = graph.nodes.indices.filter { shown($0, graph.nodes[$0].displayName) }.count
        let names = labels ?? Prediction.labels(of: graph)
        let outputs = Set(graph.outputs)
        var written: [Layer] = [], sections: [ReportPage.Section] = []
        let results = try runner.run([graph.inputs[0].name: input]) { node, outs in
            let name = node.displayName
            guard let index = nodeIndex[node.outputs.first ?? ""], shown(index, name), let out = outs.first else {
                return
            }
            let maps = LayerMaps(out)
            var section = ReportPage.Section(name: name, opType: node.opType, shape: out.shape, range: maps.finiteRange,
                                             constant: plumbing.contains(index))
            if outputs.contains(node.outputs.first ?? ""), let p = Prediction(output: out, labels: names) {
                section.view = .classes
                section.prediction = p
                try ImageWriter.write(VectorChart.classes(p), format: .png, to: dir + "/" + name + ".png")
            } else if maps.height * maps.width == 1 || (maps.channels == 1 && maps.height == 1) {
                section.view = .vector
                section.values = maps.values
                try ImageWriter.write(VectorChart.bars(maps.values), format: .png, to: dir + "/" + name + ".png")
                section.features = try writeFeatures(of: name, into: dir)  // a 1×1 convolution's
            } else {
                section.view = .maps
                try writeMaps(maps, name: name, into: dir, section: &section)
                section.features = try writeFeatures(of: name, into: dir)
            }
            if writeNPY { try OutputFile.write(dir + "/" + name + ".npy", bytes: NPYCodec.encode(out)) }
            written.append(Layer(name: name, opType: node.opType, shape: out.shape, range: maps.finiteRange,
                                 view: section.view))
            sections.append(section)
            progress("\(written.count)/\(total) \(name) \(out.shape.map(String.init).joined(separator: "×"))")
        }
        var page = ReportPage(sections: sections, colormap: colormap, normalization: normalization)
        page.title = title
        page.inputDescription = inputDescription
        page.hidden = layers == nil && !allNodes ? plumbing.count : 0
        page.top = top
        page.labelSource = labelSource ?? (Prediction.labels(of: graph) != nil ? "the model's metadata" : nil)
        page.overlay = overlay != nil
        if let first = graph.outputs.first, let out = results[first] {
            page.prediction = Prediction(output: out, labels: names)
            page.outputName = first
            if let labels, let p = page.prediction, labels.count != p.names.count || p.names != labels {
                let file = labelSource ?? "the labels"
                throw ModelError("\(file): \(labels.count) labels for \(p.probabilities.count) classes")
            }
        }
        page.explanations = try writeExplanations(explained, into: dir)
        page.inputPicture = try InputPicture(input).flatMap { picture in
            let file = dir + "/.input.png"
            try ImageWriter.write(picture.image, format: .png, to: file)
            defer { try? FileManager.default.removeItem(atPath: file) }
            return (try ImageReader.readBytes(file), picture)
        }
        try OutputFile.write(dir + "/index.html", bytes: Array(page.html().utf8))
        return written
    }

    /// One PNG per channel in DIR/NAME/ and the contact sheet DIR/NAME.png.
    func writeMaps(_ maps: LayerMaps, name: String, into dir: String, section: inout ReportPage.Section) throws {
        let ranges = normalization.ranges((0..<maps.channels).map(maps.channel))
        let layerDir = dir + "/" + name
        try FileManager.default.createDirectory(atPath: layerDir, withIntermediateDirectories: true)
        let digits = max(3, String(maps.channels - 1).count)
        var files: [String] = []
        for c in 0..<maps.channels {
            let file = name + "/" + String(repeating: "0", count: digits - String(c).count) + String(c) + ".png"
            let values = maps.channel(c)
            let image = overlay.map {
                Render.overlayImage(values, height: maps.height, width: maps.width, range: ranges[c],
                                    colormap: colormap, background: $0)
            } ?? Render.channelImage(values, height: maps.height, width: maps.width, range: ranges[c],
                                     colormap: colormap)
            try ImageWriter.write(image, format: .png, to: dir + "/" + file)
            files.append(file)
        }
        let sheet = ContactSheet.sheet(maps, ranges: ranges, colormap: colormap,
                                       sharedRange: normalization == .layer ? ranges.first : nil, overlay: overlay,
                                       kernels: kernels)
        try ImageWriter.write(sheet.image, format: .png, to: dir + "/" + name + ".png")
        section.sheetSize = (sheet.layout.width, sheet.layout.height)
        section.tiles = (0..<maps.channels).map { c in
            let finite = maps.channel(c).filter(\.isFinite)
            return ReportPage.Tile(rect: sheet.layout.tiles[c], file: files[c],
                                   range: (finite.min() ?? 0, finite.max() ?? 0),
                                   shown: ranges[c])
        }
        section.mapSize = (maps.channels, maps.height, maps.width)
        if let kernels, kernels.count == maps.channels { section.kernels = kernels }
    }
}
