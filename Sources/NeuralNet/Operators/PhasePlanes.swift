import CDirectConv

/// How DirectConv and DepthwiseConv lay one input plane out for a sliding window: copied, padded,
/// into stride_y·stride_x phase planes (phase (py, px) holds rows py, py + stride_y, … and columns
/// px, px + stride_x, … of the padded plane), so that each tap (ky, kx) reads the output grid
/// (oh rows as wide as a phase row, `pitch`) at one fixed offset, whatever the stride, padding or
/// dilation. One spare row per phase keeps the reads of the grid's dropped columns inside it.
struct PhasePlanes {
    let sy: Int, sx: Int, top: Int, left: Int
    /// Rows per phase (past the spare one), floats per phase row, floats per phase.
    let rows: Int, pitch: Int, phaseSize: Int
    /// Where tap ky·kw + kx reads, from the start of the first phase.
    let tapOffsets: [Int]

    /// Floats the phases of one input plane take.
    var size: Int { sy * sx * phaseSize }

    init(outHeight oh: Int, outWidth ow: Int, kernel: (Int, Int), strides s: [Int], dilations d: [Int], top: Int, left: Int) {
        let (kh, kw) = kernel, sy = s[0], sx = s[1], dy = d[0], dx = d[1]
        let paddedHeight = (oh - 1) * sy + (kh - 1) * dy + 1, paddedWidth = (ow - 1) * sx + (kw - 1) * dx + 1
        let rows = (paddedHeight + sy - 1) / sy, pitch = (paddedWidth + sx - 1) / sx, phaseSize = (rows + 1) * pitch
        self.sy = sy; self.sx = sx; self.top = top; self.left = left
        self.rows = rows; self.pitch = pitch; self.phaseSize = phaseSize
        // Tap (ky, kx) reads phase ((ky·dy) % sy, (kx·dx) % sx) from row (ky·dy) / sy, column (kx·dx) / sx.
        tapOffsets = (0..<(kh * kw)).map { t in
            let ky = t / kw, kx = t % kw
            return (((ky * dy) % sy) * sx + (kx * dx) % sx) * phaseSize + ((ky * dy) / sy) * pitch + (kx * dx) / sx
        }
    }

    /// The phases of the h × w plane at `src` (`cf_fill_phases`), `padding` outside it.
    func fill(_ src: UnsafePointer<Float>, h: Int, w: Int, into planes: UnsafeMutablePointer<Float>, padding: Float = 0) {
        cf_fill_phases(src, Int32(h), Int32(w), Int32(sy), Int32(sx), Int32(top), Int32(left), Int32(rows), Int32(pitch),
                       planes, phaseSize, padding)
    }
}
