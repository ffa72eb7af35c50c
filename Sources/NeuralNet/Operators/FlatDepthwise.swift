import CDirectConv
import Tensors

/// How `cf_depthwise_flat` computes a depthwise convolution (AVX-512 builds): each output plane
/// as one flat run of vectors, every tap reading an unpadded plane as wide as the output at a
/// fixed offset, with masks (the same for every plane) where the padding would be. At stride 1
/// with an output as wide as the input that plane is the input itself, read in place; otherwise
/// the input plane is first split into its stride phases (`cf_split_phases`), rows as wide as the
/// output. That needs every phase to be at most as wide as the output (padding at least the
/// kernel's reach beyond the stride, as in MobileNet's layers); other geometries return nil and
/// keep the padded phase planes of `DepthwiseConv.planes`.
struct FlatDepthwise {
    let sy: Int, sx: Int, outHeight: Int, outWidth: Int
    /// Whether the input planes are read in place (no phase split).
    let inPlace: Bool
    /// Floats per phase plane (rows of outWidth floats).
    let phaseSize: Int
    /// Where tap t reads, from position i: plane[i + offsets[t]].
    let offsets: [Int]
    /// `cf_depthwise_flat_masks`: masks[v · taps + t].
    let masks: [UInt16]

    init?(height h: Int, width w: Int, outHeight oh: Int, outWidth ow: Int, kernel: (Int, Int), strides s: [Int],
          dilations d: [Int], top: Int, left: Int) {
        guard cf_depthwise_flat_available() != 0 else { return nil }
        let (kh, kw) = kernel, sy = s[0], sx = s[1]
        let inPlace = sy == 1 && sx == 1 && w == ow
        // A phase's rows and columns: input rows py, py + sy, ... (columns likewise).
        func count(_ phase: Int, _ size: Int, _ stride: Int) -> Int { phase < size ? (size - phase + stride - 1) / stride : 0 }
        guard inPlace || (0..<sx).allSatisfy({ count($0, w, sx) <= ow }) else { return nil }
        // A mask per vector and tap: kept to 32 MB (a huge kernel on a huge plane takes the padded planes).
        let vectors = (oh * ow + 15) / 16
        guard vectors * kh * kw <= 1 << 24 else { return nil }
        self.sy = sy; self.sx = sx; outHeight = oh; outWidth = ow; self.inPlace = inPlace
        phaseSize = count(0, h, sy) * ow
        func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
        var tapRow = [Int32](), tapCol = [Int32](), rows = [Int32](), cols = [Int32](), offsets = [Int]()
        for t in 0..<(kh * kw) {
            // Tap (ky, kx) at output (y, x) reads input row y·sy + ky·dy − top: phase row y + a of phase py.
            let dyTop = (t / kw) * d[0] - top, dxLeft = (t % kw) * d[1] - left
            let a = floorDiv(dyTop, sy), b = floorDiv(dxLeft, sx), py = dyTop - a * sy, px = dxLeft - b * sx
            tapRow.append(Int32(a)); tapCol.append(Int32(b))
            rows.append(Int32(count(py, h, sy))); cols.append(Int32(count(px, w, sx)))
            offsets.append((inPlace ? 0 : (py * sx + px) * phaseSize) + a * ow + b)
        }
        self.offsets = offsets
        masks = [UInt16](unsafeUninitializedCapacity: vectors * kh * kw) { buffer, filled in
            cf_depthwise_flat_masks(Int32(oh), Int32(ow), Int32(kh * kw), tapRow, tapCol, rows, cols, buffer.baseAddress!)
            filled = vectors * kh * kw
        }
    }

    /// Output plane p (of `count`; channel p % m of item p / m) from that item's input channel
    /// `source(p % m)`, with weights + (p % m)·taps and biases[p % m].
    func run(_ x: Tensor, planes count: Int, m: Int, source: @escaping (Int) -> Int, weights: UnsafePointer<Float>,
             biases: [Float], low: Float, high: Float) -> Tensor {
        let h = x.shape[2], w = x.shape[3], taps = offsets.count, area = outHeight * outWidth
        let n = x.shape[0], c = x.shape[1]
        return x.storage.withUnsafeBufferPointer { xs in
            makeTensor(shape: [n, m, outHeight, outWidth]) { os in
                let xBase = xs.baseAddress!, oBase = os.baseAddress!
                let chunks = min(count, 4 * BLAS.cores)
                parallelFor(chunks) { chunk in
                    let scratch = inPlace ? nil : UnsafeMutablePointer<Float>.allocate(capacity: sy * sx * phaseSize)
                    defer { scratch?.deallocate() }
                    for plane in (count * chunk / chunks)..<(count * (chunk + 1) / chunks) {
                        let channel = plane % m
                        var input = UnsafePointer(xBase + ((plane / m) * c + source(channel)) * h * w)
                        if let scratch {
                            cf_split_phases(input, Int32(h), Int32(w), Int32(sy), Int32(sx), Int32(outWidth), scratch, phaseSize)
                            input = UnsafePointer(scratch)
                        }
                        cf_depthwise_flat(input, offsets, weights + channel * taps, Int32(taps), masks, area, biases[channel],
                                          low, high, oBase + plane * area)
                    }
                }
            }
        }
    }
}
