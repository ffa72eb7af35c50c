import Foundation
import ImageCodecs
import Kernels
import Tensors
import Testing
@testable import Visualize

/// show-filters' sheet: every tile where its labels say, weights on the scale its colour bar gives.
@Suite struct FilterSheetTests {
    /// Grey of value v on a scale symmetric about 0 up to a: 0 → 127.5 → 128, ±a → 255 / 0.
    func grey(_ v: Float, _ a: Float) -> UInt8 { UInt8(((v + a) / (2 * a) * 255).rounded()) }

    /// 3 filters × 2 input channels of 2×2, largest |w| 4 (filter 0, channel 0).
    var weights: Tensor {
        var w = Tensor(shape: [3, 2, 2, 2])
        let values: [[[Float]]] = [[[4, 4, 4, 4], [0, 0, 0, 0]],
                                   [[-4, -4, -4, -4], [-2, -2, -2, -2]],
                                   [[1, -1, 2, -2], [0, 0, 0, 0]]]
        w.storage = values.flatMap { $0.flatMap { $0 } }
        return w
    }

    func centre(_ t: FilterSheet.Tile, _ kx: Int, _ ky: Int, of img: RasterImage) -> (UInt8, UInt8, UInt8) {
        let zoom = t.width / 2
        return TextSearch.pixel(img, t.x + kx * zoom + zoom / 2, t.y + ky * zoom + zoom / 2)
    }

    @Test func gridRowsAreFiltersColumnsAreInputChannels() throws {
        let (img, tiles) = FilterSheet.sheet(weights, name: "L", scale: .layer)
        #expect(tiles.count == 6)
        #expect(TextSearch.isWritten(img, "L: 3 filters x 2 input channels, 2x2", x: 8, y: 8))
        #expect(!TextSearch.find(img, "rows: filters, columns: input channels").isEmpty)
        #expect(!TextSearch.find(img, "one scale for the layer").isEmpty)
        for t in tiles {
            // The channel's index above its column (first row only), the filter's left of its row.
            if t.filter == 0 {
                #expect(TextSearch.find(img, String(t.channel), in: (t.x, t.y - 18, t.width, 18)).count == 1,
                        "column \(t.channel)")
            }
            if t.channel == 0 {
                #expect(TextSearch.find(img, String(t.filter), in: (0, t.y, t.x, t.height)).count == 1,
                        "row \(t.filter)")
            }
        }
        let w = weights.storage
        for t in tiles {
            for ky in 0..<2 { for kx in 0..<2 {
                let g = grey(w[((t.filter * 2 + t.channel) * 2 + ky) * 2 + kx], 4)
                #expect(centre(t, kx, ky, of: img) == (g, g, g), "filter \(t.filter) channel \(t.channel)")
            } }
        }
        // The bar's labels: +4 at its top, 0 in the middle, -4 at the bottom, right of every tile.
        let right = tiles.map { $0.x + $0.width }.max()!
        let labels = ["+4", "0", "-4"].map { TextSearch.find(img, $0, in: (right, 0, img.width - right, img.height)) }
        #expect(labels.allSatisfy { $0.count == 1 }, "\(labels)")
        if labels.allSatisfy({ $0.count == 1 }) { #expect(labels[0][0].y < labels[1][0].y && labels[1][0].y < labels[2][0].y) }
    }

    @Test func eachFilterOnItsOwnScale() {
        let (img, tiles) = FilterSheet.sheet(weights, name: "L", scale: .filter)
        let t = tiles.first { $0.filter == 2 && $0.channel == 0 }!
        // Filter 2's largest |w| is 2: 1 → 191, -1 → 64, 2 → 255, -2 → 0.
        #expect([centre(t, 0, 0, of: img).0, centre(t, 1, 0, of: img).0, centre(t, 0, 1, of: img).0,
                 centre(t, 1, 1, of: img).0] == [grey(1, 2), grey(-1, 2), 255, 0])
        #expect(!TextSearch.find(img, "+max").isEmpty && !TextSearch.find(img, "each filter on its own scale").isEmpty)
    }

    @Test func rgbFiltersAreColourTilesLabelledWithTheirIndex() {
        var w = Tensor(shape: [2, 3, 1, 1])
        w.storage = [2, 0, -2, -1, 1, 0]
        let (img, tiles) = FilterSheet.sheet(w, name: "conv1", scale: .layer)
        #expect(tiles.count == 2 && TextSearch.isWritten(img, "conv1: 2 filters x 3 input channels, 1x1", x: 8, y: 8))
        #expect(!TextSearch.find(img, "one tile per filter, its input channels as red, green, blue").isEmpty)
        let t0 = tiles[0], t1 = tiles[1]
        #expect(TextSearch.pixel(img, t0.x + t0.width / 2, t0.y + t0.height / 2) == (255, 128, 0))
        #expect(TextSearch.pixel(img, t1.x + t1.width / 2, t1.y + t1.height / 2) == (grey(-1, 2), grey(1, 2), 128))
        for t in tiles {
            #expect(TextSearch.find(img, String(t.filter), in: (t.x, t.y - 18, t.width, 18)).count == 1)
        }
    }

    @Test func onlyThirtyTwoInputChannelsAreDrawnAndTheTitleSaysSo() {
        let w = Tensor(shape: [2, 40, 1, 1], repeating: 1)
        let (img, tiles) = FilterSheet.sheet(w, name: "wide", scale: .layer)
        #expect(tiles.count == 64)
        #expect(!TextSearch.find(img, "rows: filters, columns: input channels (first 32 of 40)").isEmpty)
        let last = tiles.first { $0.filter == 0 && $0.channel == 31 }!
        #expect(TextSearch.find(img, "31", in: (last.x - 4, last.y - 18, last.width + 8, 18)).count == 1)
    }
}

/// A kernel as the six-filter picture writes it: whole numbers over their denominator, as the kernel files do.
@Suite struct KernelMatrixTests {
    static let kernelDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../kernels").standardized

    /// Every shipped kernel file, read here without the project's parser: its `scale: ±1/N` line and its rows
    /// of whole numbers.
    @Test func shippedKernelsShowTheirFilesNumbers() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.kernelDir.path)
            .filter { $0.hasSuffix(".kernel") }
        #expect(files.count >= 15)
        for file in files {
            let text = try String(contentsOf: Self.kernelDir.appendingPathComponent(file), encoding: .utf8)
            let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            var sign = 1, n = 1
            if let scale = lines.first(where: { $0.hasPrefix("scale:") }) {
                var fraction = scale.dropFirst("scale:".count).trimmingCharacters(in: .whitespaces)
                if fraction.hasPrefix("-") { sign = -1; fraction.removeFirst() }
                n = Int(fraction.split(separator: "/")[1])!
            }
            let rows = lines.filter { $0.first.map { $0.isNumber || $0 == "-" } ?? false }
                .map { $0.split(separator: " ").map { String(Int($0)! * sign) } }
            let kernel = try KernelParser.parse(text, source: file)
            let m = KernelMatrix(kernel)
            #expect(m.denominator == n && m.cells == rows, "\(file): \(m.denominator ?? 0) \(m.cells)")
            #expect(m.factor == (n == 1 ? nil : "1/\(n)"), "\(file)")
        }
    }

    /// A Gaussian of σ = 2 has no small denominator: 3 significant digits, and a picture from 0.
    @Test func aGaussianIsRounded() {
        let g = gaussian(13, sigma: 2)
        let m = KernelMatrix(name: "g", values: g)
        #expect(m.denominator == nil && m.factor == nil)
        #expect(m.cells[6][6] == String(format: "%.3g", Double(g[6][6])) && m.cells[6][6] == "0.0399")
        #expect(m.pictureRange.0 == 0 && m.pictureRange.1 == g[6][6])
        // One tiny value makes a rational kernel irrational, not a kernel with a zero.
        #expect(KernelMatrix(name: "x", values: [[1, 2], [3, 1e-7]]).denominator == nil)
        #expect(KernelMatrix(name: "x", values: [[0.5, -1.5]]).denominator == 2)
    }
}

/// exp(-(x² + y²) / 2σ²) over size × size, divided by its sum.
func gaussian(_ size: Int, sigma: Double) -> [[Float]] {
    let r = Double(size / 2)
    let raw = (0..<size).map { y in (0..<size).map { x in
        exp(-((Double(x) - r) * (Double(x) - r) + (Double(y) - r) * (Double(y) - r)) / (2 * sigma * sigma))
    } }
    let total = raw.flatMap { $0 }.reduce(0, +)
    return raw.map { $0.map { Float($0 / total) } }
}

/// The six-filter contact sheet: each tile headed by its kernel's name and matrix.
@Suite struct KernelCaptionTests {
    @Test func tilesCarryTheKernelsNamesAndNumbers() {
        var maps = LayerMaps(Tensor(shape: [1, 3, 40, 400]))
        maps.values = (0..<maps.values.count).map { Float($0 % 17) }
        let kernels = [
            KernelMatrix(name: "laplacian", values: [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
            KernelMatrix(name: "gaussian", values: [[1, 2, 1], [2, 4, 2], [1, 2, 1]].map { $0.map { $0 / 16 } }),
            KernelMatrix(name: "big", values: gaussian(13, sigma: 2)),
        ]
        let ranges = Array(repeating: (Float(0), Float(16)), count: 3)
        let (img, layout) = ContactSheet.sheet(maps, ranges: ranges, colormap: .gray, sharedRange: nil,
                                               kernels: kernels)
        let wanted: [[[String]]] = [[["-1", "-1", "-1"], ["-1", "8", "-1"], ["-1", "-1", "-1"]],
                                    [["1", "2", "1"], ["2", "4", "2"], ["1", "2", "1"]]]
        for (c, title) in ["0 laplacian", "1 gaussian", "2 big"].enumerated() {
            let t = layout.tiles[c]
            #expect(TextSearch.isWritten(img, title, x: t.x, y: t.y), "\(title)")
            guard c < 2 else { continue }
            // Each row of numbers right of the title, one text line per row, in order, right edges evenly spaced.
            let left = t.x + TextFont.measure(title, scale: 2)
            for (r, row) in wanted[c].enumerated() {
                var rights: [Int] = [], x = left
                for cell in row {
                    let hits = TextSearch.find(img, cell, in: (x, t.y + r * 18, t.w - (x - t.x), 1))
                    guard let hit = hits.first else { Issue.record("\(title): row \(r) lacks \(cell)"); break }
                    rights.append(hit.x + TextFont.measure(cell, scale: 2))
                    x = rights.last!
                }
                #expect(rights.count == 3 && rights[2] - rights[1] == rights[1] - rights[0], "\(title) row \(r)")
            }
        }
        #expect(TextSearch.isWritten(img, "1/16 x", x: layout.tiles[1].x, y: layout.tiles[1].y + 18))
        // The 13×13 kernel: its range under the title, and its picture beside it, brightest in the centre.
        let big = layout.tiles[2]
        #expect(TextSearch.isWritten(img, "0 to 0.04", x: big.x, y: big.y + 18))
        let cell = 72 / 13, px = big.x + TextFont.measure("0 to 0.04", scale: 2) + 16
        #expect(TextSearch.pixel(img, px + 6 * cell + cell / 2, big.y + 2 + 6 * cell + cell / 2) == (255, 255, 255))
        #expect(TextSearch.pixel(img, px + cell / 2, big.y + 2 + cell / 2).0 < 10)
        // The maps start below the tallest heading: the picture's 13 cells.
        let tileTop = big.y + big.h - 40
        #expect(tileTop - big.y == 13 * cell + 4)
    }

    /// Without kernels a tile is headed by its index alone, one text line.
    @Test func plainTilesKeepTheirIndex() {
        let maps = LayerMaps(Tensor(shape: [1, 2, 10, 10]))
        let (img, layout) = ContactSheet.sheet(maps, ranges: [(0, 1), (0, 1)], colormap: .gray, sharedRange: nil)
        #expect(TextSearch.isWritten(img, "1", x: layout.tiles[1].x, y: layout.tiles[1].y))
        #expect(layout.tiles[1].h == 18 + 50)
    }
}
