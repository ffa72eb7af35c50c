import Foundation
import ImageCodecs

/// A confusion matrix as a heat map: rows are the true classes, columns the
/// predicted ones. Each cell's colour is its count divided by the largest
/// count of its row (so every row's most frequent prediction is the
/// colormap's top colour, and an all-zero row its bottom colour); the count
/// is printed in the cell in black or white, whichever contrasts. Class
/// names run along the left and the top (cut to 12 characters), with a
/// colour bar on the right.
public enum ConfusionPlot {
    public static func render(matrix: [[Int]], labels: [String], colormap: Colormap = .viridis,
                              showCounts: Bool = true) -> RasterImage {
        let g = Layout(matrix: matrix, labels: labels)
        let n = g.n, cell = g.cell, ls = g.labelScale, lineH = TextFont.height * ls
        var canvas = Canvas(width: g.width, height: g.height)
        canvas.fill(paper)

        // Axis titles: "predicted" over the columns, "true" up the left side.
        let gridSide = n * cell
        canvas.write("predicted", x: g.gridX + (gridSide - TextFont.measure("predicted", scale: 2)) / 2, y: Layout.margin,
                     scale: 2, colour: ink)
        canvas.write("true", x: Layout.margin, y: g.gridY + (gridSide + TextFont.measure("true", scale: 2)) / 2,
                     scale: 2, colour: ink, vertical: true)

        // Class names: right-aligned on the left; over the columns, upright when they fit, else bottom to top.
        for i in 0..<n {
            let name = g.names[i], w = TextFont.measure(name, scale: ls)
            canvas.write(name, x: g.gridX - 8 - w, y: g.gridY + i * cell + (cell - lineH) / 2, scale: ls, colour: ink)
            if g.verticalTop {
                canvas.write(name, x: g.gridX + i * cell + (cell - lineH) / 2, y: g.gridY - 8, scale: ls, colour: ink, vertical: true)
            } else {
                canvas.write(name, x: g.gridX + i * cell + (cell - w) / 2, y: g.gridY - 8 - lineH, scale: ls, colour: ink)
            }
        }

        // Cells.
        for r in 0..<n {
            let row = r < matrix.count ? matrix[r] : []
            let rowMax = row.map { max($0, 0) }.max() ?? 0
            for c in 0..<n {
                let count = c < row.count ? row[c] : 0
                let v: Float = rowMax > 0 ? Float(max(count, 0)) / Float(rowMax) : 0
                let colour = colormap.rgb(v)
                let x = g.gridX + c * cell, y = g.gridY + r * cell
                canvas.rect(x, y, cell, cell, colour)
                guard showCounts else { continue }
                let text = String(count)
                // The largest scale at which the count fits the cell with a little room.
                guard let s = [2, 1].first(where: { TextFont.measure(text, scale: $0) <= cell - 4 && TextFont.height * $0 <= cell - 4 })
                else { continue }
                let luminance = 0.299 * Double(colour.0) + 0.587 * Double(colour.1) + 0.114 * Double(colour.2)
                canvas.write(text, x: x + (cell - TextFont.measure(text, scale: s)) / 2, y: y + (cell - TextFont.height * s) / 2,
                             scale: s, colour: luminance > 140 ? (0, 0, 0) : (255, 255, 255))
            }
        }
        canvas.frame(g.gridX - 1, g.gridY - 1, gridSide + 2, gridSide + 2, ink)

        // Colour bar: the row maximum at the top, zero at the bottom.
        let barH = max(gridSide, 40)
        for y in 0..<barH {
            canvas.rect(g.barX, g.gridY + y, Layout.bar, 1, colormap.rgb(1 - Float(y) / Float(max(barH - 1, 1))))
        }
        canvas.frame(g.barX - 1, g.gridY - 1, Layout.bar + 2, barH + 2, ink)
        canvas.write("max", x: g.barX + Layout.bar + 6, y: g.gridY, scale: ls, colour: ink)
        canvas.write("0", x: g.barX + Layout.bar + 6, y: g.gridY + barH - lineH, scale: ls, colour: ink)
        return canvas.raster
    }

    static let paper: (UInt8, UInt8, UInt8) = (255, 255, 255), ink: (UInt8, UInt8, UInt8) = (30, 30, 30)
    /// Longest class name shown, in characters.
    static let maxLabel = 12

    /// Where everything goes: the grid's top-left corner is (gridX, gridY), cells `cell` pixels square.
    struct Layout {
        static let margin = 12, bar = 16
        let n: Int, cell: Int, labelScale: Int, names: [String], verticalTop: Bool
        let gridX: Int, gridY: Int, barX: Int, width: Int, height: Int

        init(matrix: [[Int]], labels: [String]) {
            let n = max(matrix.count, matrix.map(\.count).max() ?? 0)
            let cell = n <= 12 ? 56 : max(14, min(56, 1000 / n))
            let ls = cell >= 28 ? 2 : 1
            let names = (0..<n).map { i in TextFont.truncate(i < labels.count ? labels[i] : String(i), to: ConfusionPlot.maxLabel) }
            let labelW = names.map { TextFont.measure($0, scale: ls) }.max() ?? 0
            let lineH = TextFont.height * ls
            self.n = n; self.cell = cell; labelScale = ls; self.names = names
            verticalTop = labelW > cell - 4
            let topBand = verticalTop ? labelW : lineH
            let m = Layout.margin, titleH = TextFont.height * 2
            gridX = m + titleH + 10 + labelW + 8
            gridY = m + titleH + 10 + topBand + 8
            barX = gridX + n * cell + 16
            width = barX + Layout.bar + 6 + TextFont.measure("max", scale: labelScale) + m
            height = gridY + max(n * cell, 40) + m
        }
    }
}
