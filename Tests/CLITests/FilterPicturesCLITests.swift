import Foundation
import ImageCodecs
import Testing

/// The lecture's six-filter picture names its kernels and shows their numbers; show-filters takes --scale.
@Suite struct FilterPicturesCLITests {
    /// Between the first `start` after `from` and the next `end`.
    func between(_ s: Substring, _ start: String, _ end: String) -> Substring? {
        guard let a = s.range(of: start), let b = s[a.upperBound...].range(of: end) else { return nil }
        return s[a.upperBound..<b.lowerBound]
    }

    /// A kernel file's values, read here: its rows times its `scale: ±1/N`.
    func kernelFile(_ name: String) throws -> [[Double]] {
        let text = try String(contentsOf: CLI.repo.appendingPathComponent("kernels/\(name).kernel"), encoding: .utf8)
        var scale = 1.0
        var rows: [[Double]] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("scale:") {
                let parts = line.dropFirst(6).split(separator: "/").map { Double($0.trimmingCharacters(in: .whitespaces))! }
                scale = parts[0] / parts[1]
            } else if let first = line.split(separator: " ").first, Double(first) != nil {
                rows.append(line.split(separator: " ").map { Double($0)! })
            }
        }
        return rows.map { $0.map { $0 * scale } }
    }

    @Test func sixFilterReportShowsEachKernelsNameAndMatrix() throws {
        let dir = try CLI.tempDir().appendingPathComponent("six").path
        let names = ["edge", "sobel-x", "laplacian", "gaussian:sigma=2", "sharpen", "emboss", "gaussian"]
        let r = try CLI.run(["dump-activations"] + names.flatMap { ["--kernel", $0] } + [CLI.image("step.png"), "-o", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
        let parts = html.components(separatedBy: "<figure class=\"kernel\" id=\"kernel-")
        let figures: [Substring] = parts.dropFirst().map { Substring($0) }
        #expect(figures.count == names.count)
        for (c, (name, figure)) in zip(names, figures).enumerated() {
            let caption = between(figure, "<figcaption>", "</figcaption>") ?? ""
            let factor = between(figure, "<span class=\"factor\">1/", " ×</span>").flatMap { Double($0) }
            let table = between(figure, "<table class=\"matrix\">", "</table>") ?? ""
            let cells = table.components(separatedBy: "<tr>").dropFirst().map { row in
                row.components(separatedBy: "<td>").dropFirst().map { Double($0.prefix { $0 != "<" })! }
            }
            let shown = cells.map { $0.map { $0 / (factor ?? 1) } }
            if name.hasPrefix("gaussian:") {
                // No kernel file: the Gaussian's formula, rounded to 3 significant digits in the table, and
                // every digit in the kernel file text below it.
                #expect(caption.hasPrefix("\(c) · gaussian:size=13,sigma=2.0 · 13×13, rounded"), "\(caption)")
                let want = gaussian13()
                #expect(factor == nil && shown.count == 13 && shown.allSatisfy { $0.count == 13 })
                for (a, b) in zip(shown.joined(), want.joined()) {
                    let unit: Double = Foundation.pow(10.0, Foundation.log10(b).rounded(.down) - 2)
                    #expect(abs(a - b) <= 0.5001 * unit, "\(a) vs \(b)")
                }
                let pre = between(figure, "<pre>", "</pre>") ?? ""
                let exact = pre.split(separator: "\n").filter { $0.first?.isNumber ?? false }
                    .flatMap { $0.split(separator: " ").map { Double($0)! } }
                #expect(exact.count == 169 && zip(exact, want.joined()).allSatisfy { abs($0 - $1) < 1e-8 })
            } else {
                #expect(caption == "\(c) · \(name) · 3×3", "\(caption)")
                let want = try kernelFile(name)
                #expect(shown.count == want.count && zip(shown.joined(), want.joined()).allSatisfy { abs($0 - $1) < 1e-9 },
                        "\(name): \(shown) vs \(want)")
                #expect((factor != nil) == (name == "gaussian"), "\(name)")
            }
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/filters.png"))
    }

    /// exp(-(x² + y²) / 8) over 13×13, divided by its sum: gaussian:sigma=2 (size 2·⌈3σ⌉ + 1).
    func gaussian13() -> [[Double]] {
        let raw: [[Double]] = (0..<13).map { y in
            (0..<13).map { x in
                let d2 = Double((x - 6) * (x - 6) + (y - 6) * (y - 6))
                return Foundation.exp(-d2 / 8)
            }
        }
        let total = raw.joined().reduce(0, +)
        return raw.map { $0.map { $0 / total } }
    }

    @Test func showFiltersScaleIsTyped() throws {
        let model = CLI.repo.appendingPathComponent("models/lenet5-fashion.onnx").path
        let out = try CLI.tempDir().appendingPathComponent("c3.png").path
        let r = try CLI.run(["show-filters", model, "--layer", "c3", "--scale", "filter", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        guard case .raster(let img) = try ImageReader.read(path: out) else { Issue.record("no image"); return }
        // 16 rows of 5×5 tiles, each at least 32 pixels, under three lines of title.
        #expect(img.height > 16 * 32 + 3 * 18 && img.width > 6 * 32)
        let bad = try CLI.run(["show-filters", model, "--scale", "row", "-o", out + "2"])
        #expect(bad.status != 0 && bad.stderr.contains("'layer' and 'filter'"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "2"))
    }
}
