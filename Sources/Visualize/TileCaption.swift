/// The heading of a contact sheet's tile: the channel's index and name and, for a kernel bank's channel, the
/// kernel. A kernel with a short exact form is written as its numbers (over their denominator, as kernel files
/// write them), one too large to write is drawn as a small picture with its range. Text is `TextFont` at twice
/// its size, as the sheet's other labels.
struct TileCaption {
    var title: String
    var kernel: KernelMatrix?
    /// Drop the matrix when it would not fit this many pixels across.
    var maxWidth: Int

    static let scale = 2, line = TextFont.height * scale + 4, columnGap = 10, matrixGap = 16
    /// A kernel is written as numbers up to this many columns, else drawn.
    static let mostColumns = 7
    /// The largest side of a kernel's picture.
    static let pictureSide = 72

    init(title: String, kernel: KernelMatrix? = nil, maxWidth: Int = .max) {
        self.title = title; self.kernel = kernel; self.maxWidth = maxWidth
    }

    /// A kernel bank's channel c: "c NAME" and its kernel.
    init(channel c: Int, kernel: KernelMatrix, maxWidth: Int) {
        self.init(title: "\(c) \(kernel.name)", kernel: kernel, maxWidth: maxWidth)
    }

    enum Matrix { case none, numbers(cells: [[String]], column: Int), picture(cell: Int) }

    /// How the kernel is shown, and the line under the title (the factor, or the picture's range).
    var layout: (matrix: Matrix, note: String?) {
        guard let k = kernel, k.height > 0, k.width > 0 else { return (.none, nil) }
        let titleWidth = TextFont.measure(title, scale: Self.scale)
        if k.denominator != nil, k.width <= Self.mostColumns {
            let cells = k.cells
            let column = cells.flatMap { $0 }.map { TextFont.measure($0, scale: Self.scale) }.max() ?? 0
            let note = k.factor.map { $0 + " x" }
            let left = max(titleWidth, TextFont.measure(note ?? "", scale: Self.scale))
            if left + Self.matrixGap + k.width * (column + Self.columnGap) <= maxWidth {
                return (.numbers(cells: cells, column: column), note)
            }
        }
        let cell = max(1, Self.pictureSide / max(k.height, k.width))
        let r = k.pictureRange
        let note = "\(ContactSheet.short(r.0)) to \(ContactSheet.short(r.1))"
        let left = max(titleWidth, TextFont.measure(note, scale: Self.scale))
        if left + Self.matrixGap + k.width * cell <= maxWidth { return (.picture(cell: cell), note) }
        return (.none, nil)
    }

    /// Pixels from the top of the caption to the top of its tile.
    var height: Int {
        let (matrix, note) = layout
        let text = Self.line * (note == nil ? 1 : 2)
        switch matrix {
        case .none: return text
        case .numbers: return max(text, (kernel?.height ?? 0) * Self.line)
        case .picture(let cell): return max(text, (kernel?.height ?? 0) * cell + 4)
        }
    }

    func draw(on canvas: inout Canvas, x: Int, y: Int) {
        let ink = ContactSheet.ink, s = Self.scale
        canvas.write(title, x: x, y: y, scale: s, colour: ink)
        let (matrix, note) = layout
        if let note { canvas.write(note, x: x, y: y + Self.line, scale: s, colour: ink) }
        guard let k = kernel else { return }
        let left = max(TextFont.measure(title, scale: s), TextFont.measure(note ?? "", scale: s))
        let mx = x + left + Self.matrixGap
        switch matrix {
        case .none: return
        case .numbers(let cells, let column):
            // Right-aligned columns, as the kernel files and the notes write matrices.
            for (r, row) in cells.enumerated() {
                for (c, text) in row.enumerated() {
                    let right = mx + c * (column + Self.columnGap) + column
                    canvas.write(text, x: right - TextFont.measure(text, scale: s), y: y + r * Self.line,
                                 scale: s, colour: ink)
                }
            }
        case .picture(let cell):
            let range = k.pictureRange
            for (r, row) in k.values.enumerated() {
                for (c, v) in row.enumerated() {
                    canvas.rect(mx + c * cell, y + 2 + r * cell, cell, cell, Colormap.gray.rgb(Render.unit(v, range)))
                }
            }
            canvas.frame(mx - 1, y + 1, k.width * cell + 2, k.height * cell + 2, (90, 90, 90))
        }
    }
}
