import Foundation

/// DIR/index.html of an activation dump: the input as the model saw it, the
/// prediction as labelled bars, an overview table of the layers (each linked
/// to its section), then one section per layer. A click on a channel of a
/// contact sheet opens it large with its value range (without scripts, the
/// link opens the channel's PNG).
struct ReportPage {
    struct Tile {
        var rect: (x: Int, y: Int, w: Int, h: Int)
        /// DIR-relative path of the channel's PNG.
        var file: String
        /// The channel's minimum and maximum, and the values drawn as the colour map's ends.
        var range: (Float, Float)
        var shown: (Float, Float)
    }

    struct Section {
        var name: String, opType: String
        var shape: [Int]
        var range: (Float, Float)
        /// True for a node whose value does not depend on the input (shown with --all-nodes).
        var constant: Bool
        var view: ActivationDump.View = .maps
        var prediction: Prediction? = nil
        var values: [Float] = []
        var tiles: [Tile] = []
        var sheetSize = (0, 0)
        var mapSize = (0, 0, 0)
        /// What the channels look for (`--visualize`), beside the maps.
        var features: ReportFeatures.Figure? = nil
        /// A kernel bank's kernels, one per channel (`kernelList`).
        var kernels: [KernelMatrix] = []
    }

    var sections: [Section]
    var colormap: Colormap
    var normalization: Normalization
    var title: String? = nil
    var inputDescription: String? = nil
    var hidden = 0
    var top = 5
    var labelSource: String? = nil
    var overlay = false
    var prediction: Prediction? = nil
    var outputName = ""
    var inputPicture: (png: [UInt8], picture: InputPicture)? = nil
    var explanations: ActivationDump.Explanations? = nil

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func shape(_ s: [Int]) -> String { s.map(String.init).joined(separator: "×") }

    /// A value for people: 4 significant digits.
    static func number(_ v: Float) -> String {
        guard v.isFinite else { return String(v) }
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(format: "%.4g", Double(v))
    }

    static func range(_ r: (Float, Float)) -> String { "\(number(r.0)) … \(number(r.1))" }

    static let style = """
    body{font-family:sans-serif;background:#181818;color:#eee;margin:2em;max-width:1320px}
    a{color:#8cc4ff}h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin:.2em 0 .4em}
    section{margin-bottom:2.5em}img{max-width:100%;height:auto}.px{image-rendering:pixelated}.meta{color:#aaa}
    .top{display:flex;gap:3em;flex-wrap:wrap;align-items:flex-start;margin:1.5em 0}
    figure{margin:0}figcaption{color:#aaa;max-width:300px;font-size:.9em;margin-top:.4em}
    .prediction{flex:1 1 420px}.prediction h2 b{color:#ff9f4a}
    table.bars td{padding:3px 8px 3px 0}table.bars .name{text-align:right}
    .bar{height:18px;background:#6e8caf;min-width:1px}tr.best .bar{background:#ff7f0e}tr.best{font-weight:bold}
    .track{width:320px}.pct{font-variant-numeric:tabular-nums;text-align:right}
    table.layers{border-collapse:collapse;font-size:.92em;margin-bottom:1.5em}
    table.layers td,table.layers th{padding:3px 14px 3px 0;text-align:left;border-bottom:1px solid #2c2c2c}
    table.layers td.n{color:#777;text-align:right}tr.constant td{color:#777}
    .sheet{position:relative;display:inline-block;max-width:100%}.sheet img{display:block}
    .sheet a.tile{position:absolute;display:block}.sheet a.tile:hover{outline:2px solid #ff9f4a}
    #zoom{position:fixed;inset:0;background:rgba(0,0,0,.85);display:flex;align-items:center;justify-content:center}
    #zoom[hidden]{display:none}#zoom figure{text-align:center}#zoom figcaption{max-width:none;font-size:1em;color:#eee}
    #zoom img{width:min(80vw,70vh);height:auto;image-rendering:pixelated;background:#000}
    .cbar{display:flex;align-items:center;gap:.6em;justify-content:center;margin-top:.5em;color:#ccc}
    .cbar .grad{display:inline-block;width:260px;height:14px}
    .explain{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:1em;align-items:start}
    .pair{display:flex;gap:1.5em;flex-wrap:wrap;align-items:flex-start}.features figcaption{max-width:520px}
    \(kernelStyle)
    """

    /// The colour map as a CSS gradient, low on the left.
    var gradient: String {
        let stops = (0...10).map { i -> String in
            let (r, g, b) = colormap.rgb(Float(i) / 10)
            return "rgb(\(r),\(g),\(b))"
        }
        return "linear-gradient(to right,\(stops.joined(separator: ",")))"
    }

    func html() -> String {
        let e = Self.escape
        let heading = title.map { "\(e($0)): what the network sees" } ?? "Activations, layer by layer"
        var s = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>\(heading)</title>
        <style>\(Self.style).cbar .grad{background:\(gradient)}</style></head><body>
        <h1>\(heading)</h1>

        """
        s += "<div class=\"top\">\n" + inputFigure() + (kernelBox() ?? predictionBox()) + "</div>\n"
        s += explanations.map(explanationSection) ?? ""
        s += overview()
        for section in sections { s += render(section) }
        s += Self.zoom
        return s + "</body></html>\n"
    }

    func inputFigure() -> String {
        guard let (png, p) = inputPicture else { return "" }
        let source = inputDescription.map { " from " + Self.escape($0) } ?? ""
        let how = p.colour ? "RGB, one range for the three channels" : "grey"
        return """
        <figure class="input"><img class="px" src="data:image/png;base64,\(Data(png).base64EncodedString())" \
        width="\(p.image.width)" height="\(p.image.height)" alt="the input">
        <figcaption>The input as the model saw it\(source): \(Self.shape(p.shape)), values \(Self.range(p.range)) \
        drawn black to white (\(how))\(p.scale > 1 ? ", each pixel enlarged \(p.scale)×" : "").</figcaption></figure>

        """
    }

    func predictionBox() -> String {
        guard let p = prediction, let best = p.ranking.first else {
            return "<div class=\"prediction\"><h2>Output</h2><p class=\"meta\">The output '\(Self.escape(outputName))' "
                + "is not a vector of class scores, so there is no prediction to show.</p></div>\n"
        }
        var s = """
        <div class="prediction"><h2>Prediction: <b>\(Self.escape(p.names[best]))</b> \
        \(VectorChart.percent(p.probabilities[best]))</h2>
        <table class="bars">

        """
        for (rank, c) in p.ranking.prefix(max(1, top)).enumerated() {
            let pct = VectorChart.percent(p.probabilities[c])
            let width = String(format: "%.2f", Double(min(max(p.probabilities[c], 0), 1)) * 100)
            s += "<tr\(rank == 0 ? " class=\"best\"" : "")><td class=\"name\">\(Self.escape(p.names[c]))</td>"
                + "<td class=\"track\"><div class=\"bar\" style=\"width:\(width)%\"></div></td>"
                + "<td class=\"pct\">\(pct)</td></tr>\n"
        }
        let how = p.fromLogits ? "the softmax of the model's output '\(Self.escape(outputName))' (logits)"
            : "the model's output '\(Self.escape(outputName))' as it is (already probabilities)"
        let names = labelSource.map { "Class names from \(Self.escape($0))." }
            ?? "The model carries no class names (--labels FILE gives them)."
        s += """
        </table>
        <p class="meta">Top \(min(max(1, top), p.probabilities.count)) of \(p.probabilities.count) classes. \
        Probabilities: \(how). \(names)</p></div>

        """
        return s
    }

    func overview() -> String {
        var s = "<h2>Layers</h2>\n<table class=\"layers\"><tr><th></th><th>layer</th><th>operator</th><th>output</th>"
            + "<th>values</th><th>shown as</th></tr>\n"
        for (i, l) in sections.enumerated() {
            let name = Self.escape(l.name)
            s += "<tr\(l.constant ? " class=\"constant\"" : "")><td class=\"n\">\(i + 1)</td>"
                + "<td><a href=\"#\(name)\">\(name)</a></td><td>\(Self.escape(l.opType))</td>"
                + "<td>\(Self.shape(l.shape))</td>"
                + "<td>\(Self.range(l.range))</td><td>\(shownAs(l))</td></tr>\n"
        }
        s += "</table>\n"
        if hidden > 0 {
            s += "<p class=\"meta\">\(hidden) node\(hidden == 1 ? "" : "s") whose value does not depend on the input "
                + "(constants, Identity, shape arithmetic) \(hidden == 1 ? "is" : "are") not shown; "
                + "--all-nodes shows them.</p>\n"
        }
        return s
    }

    func shownAs(_ l: Section) -> String {
        switch l.view {
        case .maps: return "\(l.mapSize.0) map\(l.mapSize.0 == 1 ? "" : "s") \(l.mapSize.1)×\(l.mapSize.2)"
        case .vector: return "vector of \(l.values.count)"
        case .classes: return "\(l.prediction?.probabilities.count ?? 0) classes"
        }
    }

    /// Every class with its score and probability, most probable first (text to search and copy).
    func classTable(_ p: Prediction) -> String {
        let k = p.probabilities.count
        var s = "<details\(k <= 20 ? " open" : "")><summary class=\"meta\">All \(k) classes as numbers</summary>\n"
            + "<table class=\"bars\"><tr><th class=\"name\">class</th><th>#</th>"
            + "<th>\(p.fromLogits ? "logit" : "score")</th>"
            + "<th class=\"pct\">probability</th></tr>\n"
        for c in p.ranking {
            s += "<tr><td class=\"name\">\(Self.escape(p.names[c]))</td><td>\(c)</td>"
                + "<td>\(Self.number(p.scores[c]))</td>"
                + "<td class=\"pct\">\(VectorChart.percent(p.probabilities[c]))</td></tr>\n"
        }
        return s + "</table></details>\n"
    }

    var normalizationNote: String {
        switch normalization {
        case .percentile: return "each channel from its 1st to its 99th percentile"
        case .channel: return "each channel from its minimum to its maximum"
        case .layer: return "one range for the whole layer"
        }
    }

    func render(_ l: Section) -> String {
        let name = Self.escape(l.name)
        var s = """
        <section id="\(name)"><h2>\(name) <span class="meta">\(Self.escape(l.opType)) · \(Self.shape(l.shape)) · \
        values \(Self.range(l.range))\(l.constant ? " · does not depend on the input" : "")</span></h2>

        """
        switch l.view {
        case .maps:
            let colours = "Colour map \(colormap.rawValue)\(overlay ? " over the photo" : ""), \(normalizationNote)"
            s += "<p class=\"meta\">\(l.mapSize.0) map\(l.mapSize.0 == 1 ? "" : "s") of \(l.mapSize.1)×\(l.mapSize.2). "
                + "\(colours). Click a channel to see it large with its values.</p>\n"
            if l.features != nil { s += "<div class=\"pair\">" }
            s += "<div class=\"sheet\"><img class=\"px\" src=\"\(name).png\" width=\"\(l.sheetSize.0)\" "
                + "height=\"\(l.sheetSize.1)\" alt=\"\(name)\">\n"
            let (w, h) = (Double(max(l.sheetSize.0, 1)), Double(max(l.sheetSize.1, 1)))
            func pct(_ v: Int, _ of: Double) -> String { String(format: "%.3f%%", Double(v) / of * 100) }
            for (c, t) in l.tiles.enumerated() {
                s += "<a class=\"tile\" href=\"\(Self.escape(t.file))\" data-layer=\"\(name)\" data-c=\"\(c)\" "
                    + "data-min=\"\(Self.number(t.range.0))\" data-max=\"\(Self.number(t.range.1))\" "
                    + "data-lo=\"\(Self.number(t.shown.0))\" data-hi=\"\(Self.number(t.shown.1))\" "
                    + "title=\"channel \(c): \(Self.range(t.range))\" "
                    + "style=\"left:\(pct(t.rect.x, w));top:\(pct(t.rect.y, h));"
                    + "width:\(pct(t.rect.w, w));height:\(pct(t.rect.h, h))\"></a>\n"
            }
            s += "</div>\n" + kernelList(l.kernels)
            if let f = l.features { s += featureFigure(f, layer: l.name) + "</div>\n" }
        case .vector:
            let largest = l.values.indices.filter { l.values[$0].isFinite }
                .sorted { l.values[$0] > l.values[$1] || (l.values[$0] == l.values[$1] && $0 < $1) }.prefix(5)
            let list = largest.map { "\($0) (\(Self.number(l.values[$0])))" }.joined(separator: ", ")
            s += "<p class=\"meta\">A vector of \(l.values.count) values, "
                + "drawn as bars on one scale for the whole layer. "
                + "Largest: \(list).</p>\n"
            s += "<img class=\"vector\" src=\"\(name).png\" alt=\"\(name): \(l.values.count) values as bars\">\n"
            if let f = l.features { s += featureFigure(f, layer: l.name) }
        case .classes:
            if let p = l.prediction, let best = p.ranking.first {
                let how = p.fromLogits ? "softmax of the logits" : "the model's own probabilities"
                s += "<p class=\"meta\">The output: \(p.probabilities.count) classes, probability (\(how)). "
                    + "Top: \(Self.escape(p.names[best])) \(VectorChart.percent(p.probabilities[best])).</p>\n"
            }
            s += "<img class=\"classes\" src=\"\(name).png\" alt=\"\(name): class probabilities\">\n"
            if let p = l.prediction { s += classTable(p) }
        }
        return s + "</section>\n"
    }

    /// The large view of one channel, and the script that opens it (also from a link such as #zoom=c1/3).
    static let zoom = """
    <div id="zoom" hidden><figure><img id="zoom-img" alt=""><figcaption id="zoom-cap"></figcaption>
    <div class="cbar"><span id="zoom-lo"></span><span class="grad"></span><span id="zoom-hi"></span></div>
    <p class="meta">← → other channels · Esc closes</p></figure></div>
    <script>
    const zoom = document.getElementById('zoom'), zimg = document.getElementById('zoom-img');
    let current = null;
    function show(a) {
      current = a; zimg.src = a.getAttribute('href');
      const d = a.dataset;
      document.getElementById('zoom-cap').textContent =
        d.layer + ' · channel ' + d.c + ' · values ' + d.min + ' … ' + d.max;
      document.getElementById('zoom-lo').textContent = d.lo;
      document.getElementById('zoom-hi').textContent = d.hi;
      zoom.hidden = false;
    }
    document.addEventListener('click', e => {
      const a = e.target.closest('a.tile');
      if (a) { e.preventDefault(); show(a); } else if (!zoom.hidden && !e.target.closest('figure')) zoom.hidden = true;
    });
    document.addEventListener('keydown', e => {
      if (zoom.hidden) return;
      if (e.key === 'Escape') zoom.hidden = true;
      const next = e.key === 'ArrowRight' ? current.nextElementSibling
        : e.key === 'ArrowLeft' ? current.previousElementSibling : null;
      if (next && next.matches('a.tile')) show(next);
    });
    const m = location.hash.match(/^#zoom=(.+)\\/(\\d+)$/);
    if (m) { const a = document.querySelector(`a.tile[data-layer="${m[1]}"][data-c="${m[2]}"]`); if (a) show(a); }
    </script>

    """
}
