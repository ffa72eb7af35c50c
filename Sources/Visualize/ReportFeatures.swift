import Explain
import Foundation
import NeuralNet

/// Feature visualisation in the activation report (`dump-activations --visualize`): for each
/// convolution the report shows, pictures optimised to raise its channels' mean activations, made by
/// `FeatureVisualizer` exactly as `cnnfilter visualize --layer NAME` makes them and drawn by
/// `FeatureSheet`, beside the layer's maps. The pictures do not depend on the input, so a batch of
/// reports renders them once (`ActivationDump.prepared`).
public struct ReportFeatures: Sendable {
    public var steps = 512, seed: UInt64 = 1, rate: Float = 0.05
    /// The channels to draw (those a layer has); nil: the first 16, as `visualize` draws.
    public var channels: [Int]? = nil
    /// How a [0, 1] picture becomes the model's input, as photos are prepared.
    public var mean: [Float] = [0], std: [Float] = [1]
    /// Each convolution's pictures, by layer name, once rendered.
    var layers: [String: Layer]? = nil

    public init() {}

    struct Layer: Sendable {
        var numbers: [Int], pictures: [FeaturePicture]
        /// The layer's channels, and the sheet's caption.
        var total: Int, caption: String
    }

    /// The report's figure of one layer's pictures.
    struct Figure {
        /// DIR-relative paths: the sheet, then one picture per channel.
        var sheet: String, files: [String]
        var numbers: [Int], total: Int, steps: Int
        var sheetWidth: Int
    }

    /// The objective's name in captions, as `visualize` names it.
    static let objective = "channel mean"
}

extension ActivationDump {
    /// The convolutions whose pictures `--visualize` draws: the Conv nodes the report shows that depend
    /// on the input.
    func visualizedLayers(_ graph: Graph) -> [Node] {
        let plumbing = GraphPlumbing.plumbing(in: graph)
        return graph.nodes.indices.filter {
            graph.nodes[$0].opType == "Conv" && !plumbing.contains($0)
                && shows($0, graph.nodes[$0].displayName, plumbing: plumbing)
        }.map { graph.nodes[$0] }
    }

    /// This dump with the pictures of `features` made (nothing to do without `features`, or when they
    /// are made already); progress: one line per picture.
    public func renderingFeatures(graph: Graph) throws -> ActivationDump {
        guard var settings = features, settings.layers == nil else { return self }
        var done: [String: ReportFeatures.Layer] = [:]
        let model = title ?? "the model"
        for node in visualizedLayers(graph) {
            let visualizer: FeatureVisualizer
            do { visualizer = try FeatureVisualizer(graph, layer: node.outputs.first) }
            catch let e as ModelError { throw ModelError("\(model): --visualize: \(e.message)") }
            visualizer.mean = settings.mean; visualizer.std = settings.std
            let numbers = settings.channels?.filter { $0 >= 0 && $0 < visualizer.channels }
                ?? Array(0..<min(16, visualizer.channels))
            guard !numbers.isEmpty else { continue }
            let name = visualizer.layerName
            let pictures = try visualizer.render(numbers.map { .channel($0) }, steps: settings.steps,
                                                 seed: settings.seed, rate: settings.rate, finished: { n, p in
                progress(String(format: "visualize %@ channel %d (%d/%d): %@ %.4g after %d steps", name, numbers[n],
                                n + 1, numbers.count, ReportFeatures.objective, p.objective, settings.steps))
            })
            let caption = FeatureSheet.caption(layer: name, objective: ReportFeatures.objective,
                                               steps: settings.steps, model: model)
            done[node.displayName] = .init(numbers: numbers, pictures: pictures, total: visualizer.channels,
                                           caption: caption)
        }
        settings.layers = done
        var dump = self
        dump.features = settings
        return dump
    }

    /// Writes a layer's pictures as `visualize` writes them, into DIR/features/.
    func writeFeatures(of name: String, into dir: String) throws -> ReportFeatures.Figure? {
        guard let settings = features, let layer = settings.layers?[name] else { return nil }
        let tiles = FeatureSheet.tiles(layer.pictures, names: layer.numbers.map(String.init))
        let folder = dir + "/features"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (written, width) = try FeatureSheet.writeFiles(tiles, numbers: layer.numbers, name: name,
                                                           caption: layer.caption, into: folder)
        let files = written.map { "features/" + $0 }
        return .init(sheet: files[0], files: Array(files.dropFirst()), numbers: layer.numbers, total: layer.total,
                     steps: settings.steps, sheetWidth: width)
    }
}

extension ReportPage {
    /// A layer's feature pictures beside its maps.
    func featureFigure(_ f: ReportFeatures.Figure, layer: String) -> String {
        let shown = f.numbers.count == f.total ? "all \(f.total) channels"
            : "channels \(f.numbers.map(String.init).joined(separator: ", ")) of \(f.total)"
        var s = "<figure class=\"features\"><img src=\"\(Self.escape(f.sheet))\" width=\"\(f.sheetWidth)\" "
            + "alt=\"\(Self.escape(layer)): what the channels look for\">\n<figcaption>What \(shown) look for: "
            + "pictures optimised to raise each channel's mean activation (\(f.steps) steps; the number is the "
            + "activation reached; <code>cnnfilter visualize --layer \(Self.escape(layer))</code> draws the same). "
        s += f.files.enumerated().map { n, file in
            "<a href=\"\(Self.escape(file))\">\(f.numbers[n])</a>"
        }.joined(separator: " ")
        return s + "</figcaption></figure>\n"
    }
}
