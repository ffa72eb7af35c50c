import Foundation
import ImageCodecs
import NeuralNet
import Tensors

/// Writes what every chosen layer of a model computes: one image per
/// channel (DIR/NAME/NNN.png), a contact sheet (DIR/NAME.png), optionally the
/// raw values (DIR/NAME.npy), and DIR/index.html to browse them in order.
public struct ActivationDump {
    public var colormap: Colormap = .gray
    public var normalization: Normalization = .percentile
    public var writeNPY = false
    /// Layer names to keep; nil for all.
    public var layers: Set<String>? = nil
    /// Blend every map over this photo as a heat map (`--overlay`).
    public var overlay: OverlayBackground? = nil
    /// Progress lines (stderr in the CLI).
    public var progress: (String) -> Void = { _ in }

    public init() {}

    public struct Layer: Sendable {
        public var name, opType: String
        public var shape: [Int]
        public var range: (Float, Float)
    }

    /// Writes into a hidden directory beside `target` and moves the files into
    /// place only when every layer is done, so a failure leaves nothing behind.
    @discardableResult
    public func run(graph: Graph, input: Tensor, into target: String) throws -> [Layer] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: target, isDirectory: &isDir)
        if exists && !isDir.boolValue { throw CodecError(target, "exists and is not a directory") }
        let runner = try ModelRunner(graph)
        let names = Set(graph.nodes.map(\.displayName))
        if let layers {
            for l in layers where !names.contains(l) {
                throw ModelError("no layer named '\(l)' (cnnfilter info lists them)")
            }
        }
        let url = URL(fileURLWithPath: target)
        let parent = url.deletingLastPathComponent().path
        guard fm.fileExists(atPath: parent) else { throw CodecError(target, "the directory '\(parent)' does not exist") }
        let dir = parent + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: false)
        do {
            let written = try write(runner: runner, graph: graph, input: input, into: dir)
            if !exists {
                try fm.moveItem(atPath: dir, toPath: target)
            } else {
                for item in try fm.contentsOfDirectory(atPath: dir) {
                    let destination = target + "/" + item
                    if fm.fileExists(atPath: destination) { try fm.removeItem(atPath: destination) }
                    try fm.moveItem(atPath: dir + "/" + item, toPath: destination)
                }
                try fm.removeItem(atPath: dir)
            }
            return written
        } catch {
            try? fm.removeItem(atPath: dir)
            throw error
        }
    }

    func write(runner: ModelRunner, graph: Graph, input: Tensor, into dir: String) throws -> [Layer] {
        var written: [Layer] = []
        let total = layers?.count ?? graph.nodes.count
        _ = try runner.run([graph.inputs[0].name: input]) { node, outputs in
            let name = node.displayName
            guard layers?.contains(name) ?? true, let out = outputs.first else { return }
            let maps = LayerMaps(out)
            let ranges = normalization.ranges((0..<maps.channels).map(maps.channel))
            let layerDir = dir + "/" + name
            try FileManager.default.createDirectory(atPath: layerDir, withIntermediateDirectories: true)
            let digits = max(3, String(maps.channels - 1).count)
            for c in 0..<maps.channels {
                let file = layerDir + "/" + String(repeating: "0", count: digits - String(c).count) + String(c) + ".png"
                let image = overlay.map {
                    Render.overlayImage(maps.channel(c), height: maps.height, width: maps.width, range: ranges[c], colormap: colormap, background: $0)
                } ?? Render.channelImage(maps.channel(c), height: maps.height, width: maps.width, range: ranges[c], colormap: colormap)
                try ImageWriter.write(image, format: .png, to: file)
            }
            let sheet = ContactSheet.render(maps, ranges: ranges, colormap: colormap,
                                            sharedRange: normalization == .layer ? ranges.first : nil, overlay: overlay)
            try ImageWriter.write(sheet, format: .png, to: dir + "/" + name + ".png")
            if writeNPY { try OutputFile.write(dir + "/" + name + ".npy", bytes: NPYCodec.encode(out)) }
            written.append(Layer(name: name, opType: node.opType, shape: out.shape, range: maps.finiteRange))
            progress("\(written.count)/\(total) \(name) \(out.shape.map(String.init).joined(separator: "×"))")
        }
        try OutputFile.write(dir + "/index.html", bytes: Array(html(written).utf8))
        return written
    }

    func html(_ layers: [Layer]) -> String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var s = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>cnnfilter activations</title>
        <style>body{font-family:sans-serif;background:#181818;color:#eee;margin:2em}
        section{margin-bottom:2.5em}img{image-rendering:pixelated;max-width:100%}h2{font-size:1.1em}
        .meta{color:#aaa}</style></head><body>
        <h1>Activations, layer by layer</h1>
        <p class="meta">Colour map \(colormap.rawValue), normalisation \(normalization.rawValue).
        Each layer links to its channels (NAME/NNN.png).</p>

        """
        for l in layers {
            let name = escape(l.name)
            s += """
            <section><h2>\(name) <span class="meta">\(escape(l.opType)) · \(l.shape.map(String.init).joined(separator: "×")) · \
            values \(l.range.0) … \(l.range.1)</span></h2>
            <a href="\(name)/"><img src="\(name).png" alt="\(name)"></a></section>

            """
        }
        return s + "</body></html>\n"
    }
}
