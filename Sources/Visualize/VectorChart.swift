import Foundation
import ImageCodecs

/// Pictures of layers that are vectors rather than maps: a bar chart of all
/// values on one scale (C×1×1 maps, fully connected outputs), and the
/// output's class probabilities as labelled horizontal bars.
public enum VectorChart {
    typealias RGB = (UInt8, UInt8, UInt8)
    static let paper: RGB = ContactSheet.background, ink: RGB = ContactSheet.ink
    static let grid: RGB = (58, 58, 58), axis: RGB = (150, 150, 150), muted: RGB = (170, 170, 170)
    static let positive: RGB = (255, 127, 14), negative: RGB = (86, 156, 226), other: RGB = (110, 140, 175)
    static let s = 2, lineH = TextFont.height * 2
    /// Widest plot area; longer vectors wrap into several panels stacked.
    static let maxPlotWidth = 1200

    /// Where a bar chart put its panels (for tests): panel k shows values
    /// `start..<start + count`, bar i spanning x in `left + (i - start) * barWidth` ..< … + barWidth.
    struct BarLayout {
        var left: Int, barWidth: Int, perPanel: Int
        var panelTop: [Int]
        var plotHeight: Int
        var zeroY: [Int]
    }

    /// All values as bars from a zero line, one scale for the whole vector,
    /// with value ticks on the left and index ticks below.
    public static func bars(_ values: [Float]) -> RasterImage { barChart(values).image }

    static func barChart(_ raw: [Float]) -> (image: RasterImage, layout: BarLayout) {
        let values = raw.isEmpty ? [0] : raw
        let n = values.count
        let finite = values.filter(\.isFinite)
        let scale = NiceScale(lo: Double(min(0, finite.min() ?? 0)), hi: Double(max(0, finite.max() ?? 0)), maxTicks: 5)
        let labels = scale.ticks.map(scale.label)
        let barW = max(1, min(16, maxPlotWidth / n))
        let perPanel = min(n, maxPlotWidth / barW)
        let panels = (n + perPanel - 1) / perPanel
        let left = 14 + (labels.map { TextFont.measure($0, scale: s) }.max() ?? 0) + 10
        let plotW = perPanel * barW, plotH = 160
        let panelH = 12 + plotH + 8 + lineH + 14
        let width = left + plotW + 24
        var canvas = Canvas(width: width, height: panels * panelH + 6)
        canvas.fill(paper)
        var layout = BarLayout(left: left, barWidth: barW, perPanel: perPanel, panelTop: [], plotHeight: plotH,
                               zeroY: [])
        func y(_ v: Double, _ top: Int) -> Int {
            let f = (scale.hi - min(max(v, scale.lo), scale.hi)) / (scale.hi - scale.lo)
            return top + Int((f * Double(plotH - 1)).rounded())
        }
        for p in 0..<panels {
            let top = p * panelH + 12, start = p * perPanel, count = min(perPanel, n - start)
            layout.panelTop.append(top)
            for (t, label) in zip(scale.ticks, labels) {
                let ty = y(t, top)
                canvas.rect(left, ty, count * barW, 1, grid)
                canvas.write(label, x: left - 8 - TextFont.measure(label, scale: s), y: ty - lineH / 2, scale: s,
                             colour: muted)
            }
            let zero = y(0, top)
            layout.zeroY.append(zero)
            for i in 0..<count {
                let v = values[start + i]
                guard v.isFinite else { continue }
                let vy = y(Double(v), top), x = left + i * barW, w = barW >= 4 ? barW - 1 : barW
                canvas.rect(x, min(vy, zero), w, max(1, abs(vy - zero) + 1), v >= 0 ? positive : negative)
            }
            canvas.rect(left, zero, count * barW, 1, axis)
            // Index ticks: round numbers, at least ~70 pixels apart.
            let ticks = NiceScale(lo: Double(start), hi: Double(start + count - 1), maxTicks: max(2, count * barW / 70))
            for t in ticks.ticks where t >= Double(start) && t <= Double(start + count - 1) {
                let i = Int(t.rounded()), tx = left + (i - start) * barW + barW / 2
                canvas.rect(tx, top + plotH, 1, 5, axis)
                let label = String(i)
                let lw = TextFont.measure(label, scale: s)
                let lx = min(max(left, tx - lw / 2), width - lw - 2)
                canvas.write(label, x: lx, y: top + plotH + 8, scale: s, colour: muted)
            }
        }
        return (canvas.raster, layout)
    }

    /// Where the class chart put its rows (for tests).
    struct ClassLayout {
        var classes: [Int]
        var rowTop: [Int]
        var barLeft: Int, barWidth: Int, rowHeight: Int
    }

    /// Class probabilities as horizontal bars on a 0–100 % scale, the top
    /// class highlighted: every class in index order when there are at most
    /// `allUpTo`, else the `top` most probable, most probable first.
    public static func classes(_ p: Prediction, top: Int = 10, allUpTo: Int = 20) -> RasterImage {
        classChart(p, top: top, allUpTo: allUpTo).image
    }

    static func classChart(_ p: Prediction, top: Int = 10,
                           allUpTo: Int = 20) -> (image: RasterImage, layout: ClassLayout) {
        let k = p.probabilities.count
        let best = p.ranking.first ?? 0
        let shown = k <= allUpTo ? Array(0..<k) : Array(p.ranking.prefix(max(1, top)))
        let names = shown.map { TextFont.truncate(p.names[$0], to: 28) }
        let labelW = names.map { TextFont.measure($0, scale: s) }.max() ?? 0
        let rowH = lineH + 12, barLeft = 14 + labelW + 12, barW = 420
        let valueW = TextFont.measure("100.00%", scale: s)
        let width = barLeft + barW + 10 + valueW + 16
        let caption = (k <= allUpTo ? "all \(k) classes" : "top \(shown.count) of \(k) classes") + ", probability"
            + (p.fromLogits ? " (softmax of the logits)" : " (as the model outputs it)")
        let top0 = 12, axisY = top0 + shown.count * rowH + 4
        let height = axisY + 8 + lineH + 12 + lineH + 16
        var canvas = Canvas(width: max(width, TextFont.measure(caption, scale: s) + 28), height: height)
        canvas.fill(paper)
        for f in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let gx = barLeft + Int((f * Double(barW - 1)).rounded())
            canvas.rect(gx, top0, 1, axisY - top0, grid)
            canvas.rect(gx, axisY, 1, 5, axis)
            let label = "\(Int(f * 100))%"
            canvas.write(label, x: gx - TextFont.measure(label, scale: s) / 2, y: axisY + 8, scale: s, colour: muted)
        }
        var rowTop: [Int] = []
        for (r, c) in shown.enumerated() {
            let y = top0 + r * rowH
            rowTop.append(y)
            let colour = c == best ? positive : other
            canvas.write(names[r], x: barLeft - 12 - TextFont.measure(names[r], scale: s), y: y + 6, scale: s,
                         colour: c == best ? ink : muted)
            let prob = Double(min(max(p.probabilities[c], 0), 1))
            let len = Int((prob * Double(barW)).rounded())
            canvas.rect(barLeft, y + 4, max(len, 1), rowH - 8, colour)
            let value = percent(p.probabilities[c])
            canvas.write(value, x: barLeft + max(len, 1) + 8, y: y + 6, scale: s, colour: c == best ? ink : muted)
        }
        canvas.write(caption, x: 14, y: axisY + 8 + lineH + 12, scale: s, colour: muted)
        let layout = ClassLayout(classes: shown, rowTop: rowTop, barLeft: barLeft, barWidth: barW, rowHeight: rowH)
        return (canvas.raster, layout)
    }

    /// A probability as a percentage with two decimals ("99.96%"), as `cnnfilter predict` prints it.
    public static func percent(_ p: Float) -> String {
        String(format: "%.2f%%", Double(p) * 100)
    }
}
