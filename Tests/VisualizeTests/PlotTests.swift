import Foundation
import ImageCodecs
import Testing
@testable import Visualize

typealias RGBTriple = (UInt8, UInt8, UInt8)

private func pixel(_ img: RasterImage, _ x: Int, _ y: Int) -> RGBTriple {
    let p = img.rowPointer(y).assumingMemoryBound(to: UInt8.self) + 3 * x
    return (p[0], p[1], p[2])
}

/// Every pixel of `img` with colour `c`.
private func find(_ img: RasterImage, _ c: RGBTriple) -> [(x: Int, y: Int)] {
    var found: [(x: Int, y: Int)] = []
    for y in 0..<img.height { for x in 0..<img.width where pixel(img, x, y) == c { found.append((x, y)) } }
    return found
}

private let fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

@Suite struct TextFontTests {
    @Test func coversLettersDigitsAndPunctuation() {
        let wanted = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/():%_,-.+ "
        for ch in wanted {
            let g = TextFont.glyphs[ch]
            #expect(g?.count == TextFont.height && g!.allSatisfy { $0 < 1 << TextFont.width }, "glyph \(ch)")
        }
        // A copy-paste slip in the strips would give two characters one picture.
        let pictures = Dictionary(grouping: TextFont.glyphs.keys, by: { TextFont.glyphs[$0]! })
        #expect(pictures.values.filter { $0.count > 1 }.isEmpty)
    }

    @Test func lettersLookLikeThemselves() {
        #expect(TextFont.glyphs["T"] == [0b11111] + Array(repeating: 0b00100, count: 6))
        #expect(TextFont.glyphs["A"] == [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001])
        #expect(TextFont.glyphs["/"] == [0b00000, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b00000])
        // Drawn at scale 2: "L" is a 2-pixel-wide stem and a 10-pixel foot; the next glyph starts 12 pixels on.
        var canvas = Canvas(width: 30, height: 16)
        canvas.write("L1", x: 0, y: 0, scale: 2, colour: (255, 0, 0))
        let ink = { (x: Int, y: Int) in canvas.pixel(x, y) == (255, 0, 0) }
        #expect((0..<14).allSatisfy { ink(0, $0) && ink(1, $0) } && !ink(2, 0))
        #expect((0..<10).allSatisfy { ink($0, 12) && ink($0, 13) } && !ink(10, 12))
        #expect(ink(12 + 4, 0) && !ink(12, 0)) // "1" starts with its top at the middle column
        // An unknown character draws something (a box), the space nothing.
        var unknown = Canvas(width: 10, height: 10), space = Canvas(width: 10, height: 10)
        unknown.write("€", x: 0, y: 0, scale: 1, colour: (255, 0, 0))
        space.write(" ", x: 0, y: 0, scale: 1, colour: (255, 0, 0))
        #expect(unknown.pixels.contains(255) && !space.pixels.contains(255))
    }

    @Test func truncatesLongNames() {
        #expect(TextFont.truncate("T-shirt/top", to: 12) == "T-shirt/top")
        #expect(TextFont.truncate("a rather long class name", to: 12) == "a rather lo.")
        #expect(TextFont.measure("ab", scale: 2) == 22 && TextFont.measure("", scale: 2) == 0)
    }
}

@Suite struct ConfusionPlotTests {
    func cellCentre(_ g: ConfusionPlot.Layout, row: Int, column: Int) -> (Int, Int) {
        (g.gridX + column * g.cell + g.cell / 2, g.gridY + row * g.cell + g.cell / 2)
    }

    @Test func imageGrowsWithTheClassCount() {
        let small = ConfusionPlot.render(matrix: Array(repeating: [1, 2, 3], count: 3), labels: ["a", "b", "c"])
        let big = ConfusionPlot.render(matrix: Array(repeating: Array(repeating: 1, count: 10), count: 10),
                                       labels: (0..<10).map(String.init))
        #expect(big.width > small.width && big.height > small.height)
        #expect(small.channels == 3 && small.bitDepth == 8)
    }

    @Test func cellsAreNormalisedPerRow() {
        let m = [[5, 2, 0], [1, 9, 3], [0, 0, 0]]
        let g = ConfusionPlot.Layout(matrix: m, labels: ["x", "y", "z"])
        let img = ConfusionPlot.render(matrix: m, labels: ["x", "y", "z"], showCounts: false)
        let at = { (r: Int, c: Int) -> RGBTriple in let (x, y) = cellCentre(g, row: r, column: c); return pixel(img, x, y) }
        let top = Colormap.viridis.rgb(1), bottom = Colormap.viridis.rgb(0)
        #expect(at(0, 0) == top && at(1, 1) == top)
        #expect(at(0, 1) == Colormap.viridis.rgb(2 / 5) && at(1, 0) == Colormap.viridis.rgb(1 / 9))
        #expect(at(0, 2) == bottom && (0..<3).allSatisfy { at(2, $0) == bottom })
    }

    @Test func countsContrastWithTheirCells() {
        let m = [[5, 2, 0], [1, 9, 3], [0, 0, 0]]
        let g = ConfusionPlot.Layout(matrix: m, labels: [])
        let img = ConfusionPlot.render(matrix: m, labels: [])
        func colours(row: Int, column: Int) -> [String: Int] {
            var seen: [String: Int] = [:]
            for y in (g.gridY + row * g.cell)..<(g.gridY + (row + 1) * g.cell) {
                for x in (g.gridX + column * g.cell)..<(g.gridX + (column + 1) * g.cell) {
                    let p = pixel(img, x, y); seen["\(p.0),\(p.1),\(p.2)", default: 0] += 1
                }
            }
            return seen
        }
        // The bright (yellow) maximum carries black digits, a dark zero cell white ones; the cell colour dominates.
        let hot = colours(row: 1, column: 1), cold = colours(row: 0, column: 2)
        let top = Colormap.viridis.rgb(1), bottom = Colormap.viridis.rgb(0)
        #expect(hot.max { $0.value < $1.value }?.key == "\(top.0),\(top.1),\(top.2)")
        #expect(hot["0,0,0", default: 0] > 10 && hot["255,255,255"] == nil)
        #expect(cold.max { $0.value < $1.value }?.key == "\(bottom.0),\(bottom.1),\(bottom.2)")
        #expect(cold["255,255,255", default: 0] > 10 && cold["0,0,0"] == nil)
    }

    @Test func aDiagonalMatrixLeavesTheRestAtTheLowestColour() {
        let n = 10
        let m = (0..<n).map { r in (0..<n).map { c in r == c ? 10 * (r + 1) : 0 } }
        let g = ConfusionPlot.Layout(matrix: m, labels: fashion)
        for showCounts in [false, true] {
            let img = ConfusionPlot.render(matrix: m, labels: fashion, showCounts: showCounts)
            for r in 0..<n { for c in 0..<n {
                // The centre is under the printed count when counts are shown: look at a corner then.
                let (cx, cy) = cellCentre(g, row: r, column: c)
                let (x, y) = showCounts ? (cx - g.cell / 2 + 2, cy - g.cell / 2 + 2) : (cx, cy)
                #expect(pixel(img, x, y) == Colormap.viridis.rgb(r == c ? 1 : 0), "cell \(r),\(c)")
            } }
        }
    }

    @Test func longNamesStandUpDigitsDoNot() {
        #expect(ConfusionPlot.Layout(matrix: [[1]], labels: ["Ankle boot"]).verticalTop)
        #expect(!ConfusionPlot.Layout(matrix: [[1, 0], [0, 1]], labels: ["0", "1"]).verticalTop)
        let long = ConfusionPlot.Layout(matrix: [[1]], labels: ["an extremely long class name"])
        #expect(long.names == ["an extremel."])
        // Nothing to show is still an image.
        let empty = ConfusionPlot.render(matrix: [], labels: [])
        #expect(empty.width > 0 && empty.height > 0)
    }
}

@Suite struct TrainingCurvesTests {
    static let red: RGBTriple = (200, 0, 0), blue: RGBTriple = (0, 0, 200), green: RGBTriple = (0, 160, 0)

    @Test func eachSeriesIsDrawnInItsOwnPanel() {
        let epochs = Array(1...8)
        let loss = epochs.map { Float?(2 / Float($0)) }
        let acc = epochs.map { Float?(1 - 0.5 / Float($0)) }
        let img = TrainingCurves.render(epochs: epochs, panels: [
            .init(title: "loss", series: [.init(name: "train", values: loss, colour: Self.red)]),
            .init(title: "accuracy", series: [.init(name: "train", values: acc, colour: Self.blue),
                                               .init(name: "validation", values: Array(repeating: nil, count: 8), colour: Self.green)]),
        ], panelWidth: 400, panelHeight: 300)
        #expect(img.width == 800 && img.height == 300)
        let reds = find(img, Self.red), blues = find(img, Self.blue)
        #expect(reds.count > 200 && reds.allSatisfy { $0.x < 400 })
        #expect(blues.count > 200 && blues.allSatisfy { $0.x >= 400 })
        // A series without values is neither drawn nor in the legend.
        #expect(find(img, Self.green).isEmpty)
        // Below the legend, the falling loss starts high (small y) and ends low; the rising accuracy the other way round.
        let plotTop = 16 + 14 + 12 + 14 + 6
        func ends(_ pts: [(x: Int, y: Int)]) -> (first: Int, last: Int) {
            let curve = pts.filter { $0.y > plotTop }
            return (curve.min { $0.x < $1.x }!.y, curve.max { $0.x < $1.x }!.y)
        }
        let l = ends(reds), a = ends(blues)
        #expect(l.first < l.last - 100 && a.first > a.last + 100)
    }

    @Test func oneEpochIsADot() {
        let img = TrainingCurves.render(epochs: [1], panels: [.init(title: "loss", series: [.init(name: "train", values: [0.7], colour: Self.red)])],
                                        panelWidth: 400, panelHeight: 300)
        let dot = find(img, Self.red).filter { $0.y > 70 }
        #expect(!dot.isEmpty)
        let xs = dot.map(\.x), ys = dot.map(\.y)
        #expect(xs.max()! - xs.min()! <= 8 && ys.max()! - ys.min()! <= 8)
    }

    @Test func emptyNaNAndConstantInputsStillDraw() {
        let empty = TrainingCurves.render(epochs: [], trainLoss: [], validationLoss: [], trainAccuracy: [], validationAccuracy: [])
        #expect(empty.width == 2 * 520 && empty.height == 400)
        let odd = TrainingCurves.render(epochs: [1, 2, 3, 4], panels: [
            .init(title: "loss", series: [.init(name: "train", values: [.nan, 1, 1, .infinity], colour: Self.red)]),
            .init(title: "accuracy", series: [.init(name: "train", values: [0.5, 0.5, 0.5, 0.5], colour: Self.blue)]),
        ])
        // The constant lines are horizontal: every curve pixel of a panel in a band a few pixels high.
        for c in [Self.red, Self.blue] {
            let ys = find(odd, c).filter { $0.y > 70 }.map(\.y)
            #expect(!ys.isEmpty && ys.max()! - ys.min()! <= 8)
        }
        #expect(TrainingCurves.render(epochs: [], panels: []).width > 0)
    }

    @Test func ticksAreRound() {
        let s = NiceScale(lo: 0.23, hi: 2.31, maxTicks: 6)
        #expect(s.step == 0.5 && s.lo == 0 && s.hi == 2.5)
        #expect(s.ticks.map { s.label($0) } == ["0", "0.5", "1.0", "1.5", "2.0", "2.5"])
        let acc = NiceScale(lo: 0.912, hi: 0.987, maxTicks: 6)
        #expect(acc.ticks.map { acc.label($0) } == ["0.90", "0.92", "0.94", "0.96", "0.98", "1.00"])
        let flat = NiceScale(lo: 0.5, hi: 0.5, maxTicks: 6)
        #expect(flat.lo < 0.5 && flat.hi > 0.5)
        let zero = NiceScale(lo: 0, hi: 0, maxTicks: 6)
        #expect(zero.lo < 0 && zero.hi > 0)
    }

    /// Sample pictures for a person to look at: CNNFILTER_PLOT_DIR=/tmp/plots swift test --filter writeSamples
    @Test func writeSamples() throws {
        guard let dir = ProcessInfo.processInfo.environment["CNNFILTER_PLOT_DIR"] else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let e = Array(1...15)
        let tl = e.map { Float?(0.28 + 1.1 * exp(-Float($0) / 3)) }, vl = e.map { Float?(0.33 + 1.0 * exp(-Float($0) / 3) + 0.004 * Float($0)) }
        let ta = e.map { Float?(0.93 - 0.35 * exp(-Float($0) / 3)) }, va = e.map { Float?(0.90 - 0.33 * exp(-Float($0) / 3)) }
        try ImageWriter.write(TrainingCurves.render(epochs: e, trainLoss: tl, validationLoss: vl, trainAccuracy: ta, validationAccuracy: va),
                              format: .png, to: dir + "/curves.png")
        try ImageWriter.write(TrainingCurves.render(epochs: [1], trainLoss: [0.61], validationLoss: [nil], trainAccuracy: [0.78], validationAccuracy: [nil]),
                              format: .png, to: dir + "/curves-1.png")
        var m = (0..<10).map { r in (0..<10).map { c in r == c ? 850 + 13 * r : (r * 7 + c * 3) % 11 } }
        m[6][0] = 120; m[0][6] = 90; m[4][2] = 75; m[2][4] = 60; m[9][7] = 40; m[7][9] = 35
        try ImageWriter.write(ConfusionPlot.render(matrix: m, labels: fashion), format: .png, to: dir + "/confusion.png")
        try ImageWriter.write(ConfusionPlot.render(matrix: m, labels: (0..<10).map(String.init)), format: .png, to: dir + "/confusion-digits.png")
    }
}
