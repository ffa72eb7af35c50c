import Foundation
import ImageCodecs

/// Loss and accuracy of a training run, per epoch: panels side by side, each
/// with a title, a legend, epoch ticks along x and round values along y, every
/// series a polyline with a dot per epoch.
public enum TrainingCurves {
    public typealias RGB = (UInt8, UInt8, UInt8)

    /// matplotlib's first two colours (tab:blue, tab:orange).
    public static let trainColour: RGB = (31, 119, 180)
    public static let validationColour: RGB = (255, 127, 14)

    /// One curve: `values[i]` belongs to `epochs[i]`; nil and non-finite values are skipped
    /// (the line joins the points either side). A series without any value is left out of the legend.
    public struct Series: Sendable {
        public var name: String
        public var values: [Float?]
        public var colour: RGB
        public init(name: String, values: [Float?], colour: RGB) {
            self.name = name; self.values = values; self.colour = colour
        }
    }

    /// One plot: a title and its series, sharing one y axis.
    public struct Panel: Sendable {
        public var title: String
        public var series: [Series]
        public init(title: String, series: [Series]) {
            self.title = title; self.series = series
        }
    }

    /// The usual picture: "loss" on the left (train, validation), "accuracy" on the right.
    /// Pass empty arrays (or nils) for what was not measured, e.g. no validation set.
    public static func render(epochs: [Int], trainLoss: [Float?], validationLoss: [Float?],
                              trainAccuracy: [Float?], validationAccuracy: [Float?]) -> RasterImage {
        render(epochs: epochs, panels: [
            Panel(title: "loss", series: [Series(name: "train", values: trainLoss, colour: trainColour),
                                          Series(name: "validation", values: validationLoss, colour: validationColour)]),
            Panel(title: "accuracy", series: [Series(name: "train", values: trainAccuracy, colour: trainColour),
                                              Series(name: "validation", values: validationAccuracy, colour: validationColour)]),
        ])
    }

    /// Panels left to right, each `panelWidth` × `panelHeight` pixels (so panel k
    /// covers x in `k * panelWidth ..< (k + 1) * panelWidth`). Epochs missing
    /// from `epochs` (a series longer than it) continue its numbering.
    public static func render(epochs: [Int], panels: [Panel], panelWidth: Int = 520, panelHeight: Int = 400) -> RasterImage {
        let pw = max(panelWidth, 200), ph = max(panelHeight, 160)
        var canvas = Canvas(width: pw * max(panels.count, 1), height: ph)
        canvas.fill(paper)
        for (k, panel) in panels.enumerated() {
            draw(panel, epochs: epochs, on: &canvas, x: k * pw, width: pw, height: ph)
        }
        return canvas.raster
    }

    static let paper: RGB = (255, 255, 255), ink: RGB = (30, 30, 30), grid: RGB = (225, 225, 225), muted: RGB = (110, 110, 110)
    static let textScale = 2

    static func epoch(_ i: Int, _ epochs: [Int]) -> Int {
        i < epochs.count ? epochs[i] : (epochs.last ?? 0) + i - epochs.count + 1
    }

    static func draw(_ panel: Panel, epochs: [Int], on canvas: inout Canvas, x px: Int, width pw: Int, height ph: Int) {
        let s = textScale, lineH = TextFont.height * s
        // Points of every series, finite values only.
        let points: [[(epoch: Int, value: Double)]] = panel.series.map { series in
            series.values.enumerated().compactMap { i, v in
                guard let v, v.isFinite else { return nil }
                return (epoch(i, epochs), Double(v))
            }
        }
        let all = points.flatMap { $0 }
        let usedEpochs = all.map(\.epoch) + epochs
        let e0 = usedEpochs.min() ?? 1, e1 = usedEpochs.max() ?? 1
        let y = NiceScale(lo: all.map(\.value).min() ?? 0, hi: all.map(\.value).max() ?? 1, maxTicks: 6)
        let yLabels = y.ticks.map { y.label($0) }

        // Frame of the plot area.
        let left = px + 14 + (yLabels.map { TextFont.measure($0, scale: s) }.max() ?? 0) + 8
        let right = px + pw - 20
        let top = 16 + lineH + 12 + lineH + 14, bottom = ph - (12 + lineH + 10 + lineH + 8)
        let plotW = right - left, plotH = bottom - top
        let pad = 12.0
        func sx(_ e: Int) -> Double {
            e1 > e0 ? Double(left) + pad + Double(e - e0) / Double(e1 - e0) * (Double(plotW) - 2 * pad) : Double(left + right) / 2
        }
        func sy(_ v: Double) -> Double { Double(bottom) - (v - y.lo) / (y.hi - y.lo) * Double(plotH) }

        // Title, centred over the plot area.
        canvas.write(panel.title, x: (left + right - TextFont.measure(panel.title, scale: s)) / 2, y: 16, scale: s, colour: ink)

        // Legend, under the title.
        var lx = left
        let ly = 16 + lineH + 12
        for (series, pts) in zip(panel.series, points) where !pts.isEmpty {
            let cy = Double(ly) + Double(lineH) / 2 - 0.5
            canvas.line(Double(lx), cy, Double(lx + 24), cy, thickness: 2, series.colour)
            canvas.disc(Double(lx + 12), cy, radius: 3.5, series.colour)
            canvas.write(series.name, x: lx + 32, y: ly, scale: s, colour: ink)
            lx += 32 + TextFont.measure(series.name, scale: s) + 24
        }

        // Grid and y ticks.
        for (t, label) in zip(y.ticks, yLabels) {
            let ty = Int(sy(t).rounded())
            canvas.rect(left, ty, plotW, 1, grid)
            canvas.rect(left - 5, ty, 5, 1, ink)
            canvas.write(label, x: left - 8 - TextFont.measure(label, scale: s), y: ty - lineH / 2, scale: s, colour: ink)
        }
        // Epoch ticks: multiples of a round step, and the first epoch.
        let widest = TextFont.measure(String(e1), scale: s) + TextFont.measure(String(e0), scale: s)
        let room = max(1, plotW / max(widest / 2 + 16, 1))
        var step = 1
        for candidate in [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000] {
            step = candidate
            if (e1 - e0) / candidate + 1 <= room { break }
        }
        while (e1 - e0) / step + 1 > room { step *= 10 }
        var xTicks = Array(stride(from: ((e0 + step - 1) / step) * step, through: e1, by: step)).filter { $0 >= e0 }
        if xTicks.first.map({ Double($0 - e0) > Double(step) / 2 }) ?? true { xTicks.insert(e0, at: 0) }
        for e in xTicks {
            let tx = Int(sx(e).rounded()), label = String(e)
            canvas.rect(tx, top, 1, plotH, grid)
            canvas.rect(tx, bottom, 1, 5, ink)
            canvas.write(label, x: tx - TextFont.measure(label, scale: s) / 2, y: bottom + 10, scale: s, colour: ink)
        }
        canvas.frame(left, top, plotW + 1, plotH + 1, ink)
        canvas.write("epoch", x: (left + right - TextFont.measure("epoch", scale: s)) / 2, y: bottom + 10 + lineH + 10,
                     scale: s, colour: muted)

        if all.isEmpty {
            let msg = "no data"
            canvas.write(msg, x: (left + right - TextFont.measure(msg, scale: s)) / 2, y: (top + bottom - lineH) / 2,
                         scale: s, colour: muted)
            return
        }
        // Curves, then dots on top.
        for (series, pts) in zip(panel.series, points) {
            for (a, b) in zip(pts, pts.dropFirst()) {
                canvas.line(sx(a.epoch), sy(a.value), sx(b.epoch), sy(b.value), thickness: 2, series.colour)
            }
            for p in pts { canvas.disc(sx(p.epoch), sy(p.value), radius: 3.5, series.colour) }
        }
    }
}

/// Round tick values covering [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten.
struct NiceScale {
    let lo: Double, hi: Double, step: Double

    init(lo rawLo: Double, hi rawHi: Double, maxTicks: Int) {
        var a = rawLo.isFinite ? rawLo : 0, b = rawHi.isFinite ? rawHi : 1
        if a > b { swap(&a, &b) }
        if b - a <= max(abs(a), abs(b)) * 1e-6 {
            // A constant (or nearly): a band around it.
            let pad = a == 0 ? 1 : abs(a) * 0.1
            a -= pad; b += pad
        }
        let raw = (b - a) / Double(max(maxTicks - 1, 1))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = ([1, 2, 2.5, 5, 10].first { $0 * magnitude >= raw * (1 - 1e-9) } ?? 10) * magnitude
        self.step = step
        lo = (a / step).rounded(.down) * step
        hi = max((b / step).rounded(.up) * step, lo + step)
    }

    var ticks: [Double] {
        let n = Int(((hi - lo) / step).rounded())
        return (0...max(0, min(n, 50))).map { lo + Double($0) * step }
    }

    /// A tick value with as many decimals as the step needs.
    func label(_ v: Double) -> String {
        if abs(v) < step * 1e-6 { return "0" }
        if max(abs(lo), abs(hi)) >= 1e6 || step < 1e-6 { return String(format: "%.2g", v) }
        var decimals = max(0, Int((-log10(step)).rounded(.up)))
        while decimals < 8, abs(step * pow(10, Double(decimals)) - (step * pow(10, Double(decimals))).rounded()) > 1e-6 {
            decimals += 1
        }
        return String(format: "%.\(decimals)f", v)
    }
}
