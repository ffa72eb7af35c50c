import CDirectConv
import Convolution
import Tensors

/// Convolutions with many filters, computed directly: no im2col matrix, no
/// SGEMM. Each input plane of a batch item and group is copied, zero-padded,
/// into phase planes (`PhasePlanes`), so that every tap (input channel, kernel
/// row, kernel column) sees the output through one phase plane at a fixed
/// offset. On an output grid as wide as a
/// phase row (the kernel drops the columns past the output's width) the
/// convolution is then a product whose right-hand matrix is the phase planes
/// read at those offsets: the C kernel `cf_conv_run` keeps a tile of 8
/// filters × 48 grid positions in AVX-512 registers and streams the taps
/// through it. A 1×1 convolution at stride 1 without padding reads its input
/// in place; on 64 positions or fewer (AVX-512) it puts the filters in the
/// vector lanes instead (`cf_wide_gemm`). Blocks of grid columns (and of
/// filters, when the grid is small) go to the cores.
enum DirectConv {
    /// `clip`: bounds the output is clamped to (a Relu or Clip fused by the model runner).
    static func run(_ x: Tensor, _ w: Tensor, bias: Tensor?, group: Int, strides s: [Int], dilations d: [Int],
                    pads: Padding, outHeight oh: Int, outWidth ow: Int, clip: (low: Float, high: Float)? = nil,
                    packed prepacked: Tensor? = nil) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
        let m = w.shape[0], kh = w.shape[2], kw = w.shape[3]
        let cg = c / group, mg = m / group, taps = cg * kh * kw
        let sy = s[0], sx = s[1]
        let slack = Int(cf_conv_slack())
        // A 1×1 stride-1 convolution without padding reads its input planes where they are, except
        // the group's last plane when the kernel's whole-vector reads would run past its end.
        let inPlace = kh == 1 && kw == 1 && sy == 1 && sx == 1 && pads.top == 0 && pads.left == 0 && oh == h && ow == wd
        let lastCopied = inPlace && (h * wd) % Int(cf_conv_lanes()) != 0
        let layout = PhasePlanes(outHeight: oh, outWidth: ow, kernel: (kh, kw), strides: s, dilations: d,
                                 top: pads.top, left: pads.left)
        let pitch = inPlace ? wd : layout.pitch, planeSize = inPlace ? h * wd : layout.size
        let grid = oh * pitch
        let buffer = inPlace ? (lastCopied ? h * wd + slack : 0) : cg * planeSize + slack
        // Tap (ci, ky, kx) reads channel ci's phases where PhasePlanes says.
        let offsets = (0..<taps).map { t in (t / (kh * kw)) * planeSize + (inPlace ? 0 : layout.tapOffsets[t % (kh * kw)]) }
        // Work units: with tiles of grid columns enough for every core, blocks of them (a few hundred
        // KB of input each, so they stay in the core's L2 cache), a multiple of the cores so that
        // they share evenly; with fewer, blocks of filters over the whole grid (a 7×7 output is one
        // or two tiles).
        let cores = BLAS.cores, tileWidth = Int(cf_conv_tile_width()), filterRows = Int(cf_conv_rows())
        let tiles = (grid + tileWidth - 1) / tileWidth, panels = (mg + filterRows - 1) / filterRows
        let tilesPerBlock = max(1, (1 << 19) / max(1, cg * sy * sx * 4 * (kh * kw == 1 ? 1 : 2) * tileWidth))
        let byColumns = tiles >= 4 * cores
        let columnCount = byColumns ? cores * max(1, (tiles + cores * tilesPerBlock - 1) / (cores * tilesPerBlock)) : 1
        let columnStep = (tiles + columnCount - 1) / columnCount * tileWidth
        let filterBlocks = byColumns ? 1 : min(panels, 4 * cores)
        let panelStep = (panels + filterBlocks - 1) / filterBlocks

        // Panel-major order (see cf_conv_run) for 1×1 kernels and few taps (MobileNet's 3→32 first
        // layer, ResNet's 3→64 7×7): their output, not their input, is the traffic that matters.
        let panelMajor = kh * kw == 1 || taps <= 256
        let panelSize = panels * filterRows * taps
        let packed = prepacked?.count == group * panelSize ? prepacked! : packedFilters(w, group: group)!
        let biases = UnsafeMutablePointer<Float>.allocate(capacity: bias == nil ? 0 : m)
        defer { biases.deallocate() }
        if let bias { biases.initialize(from: bias.storage, count: m) }
        let (low, high) = clip ?? (-Float.infinity, Float.infinity)
        // A 1×1 convolution on at most 64 positions (MobileNet's 7×7 layers): the filters in the vector
        // lanes (`cf_wide_gemm`), where tiles of positions would round 49 positions up to 64.
        let wideRows = Int(cf_wide_gemm_rows())
        if inPlace && wideRows > 0 && h * wd <= 4 * Int(cf_conv_lanes()) {
            let blocks = (mg + wideRows - 1) / wideRows, area = h * wd
            return x.storage.withUnsafeBufferPointer { xs in
                packed.storage.withUnsafeBufferPointer { pk in
                    makeTensor(shape: [n, m, oh, ow]) { os in
                        let xBase = xs.baseAddress!, pBase = pk.baseAddress!, oBase = os.baseAddress!
                        parallelFor(n * group * blocks) { unit in
                            let item = unit / (group * blocks), g = (unit / blocks) % group, b = unit % blocks
                            cf_wide_gemm(pBase + g * panelSize, Int32(taps), Int32(mg), xBase + (item * c + g * cg) * area, area,
                                         Int32(area), bias == nil ? nil : UnsafePointer(biases + g * mg), low, high,
                                         oBase + (item * m + g * mg) * area, area, Int32(b), Int32(b + 1))
                        }
                    }
                }
            }
        }
        let phases = UnsafeMutablePointer<Float>.allocate(capacity: buffer)
        defer { phases.deallocate() }
        let sources = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: taps)
        defer { sources.deallocate() }
        return x.storage.withUnsafeBufferPointer { xs in
            packed.storage.withUnsafeBufferPointer { pk in
                makeTensor(shape: [n, m, oh, ow]) { os in
                    for item in 0..<n {
                        for g in 0..<group {
                            let src = xs.baseAddress! + (item * c + g * cg) * h * wd
                            if inPlace {
                                for t in 0..<taps { sources[t] = src + offsets[t] }
                                if lastCopied {
                                    phases.initialize(from: src + (cg - 1) * h * wd, count: h * wd)
                                    (phases + h * wd).initialize(repeating: 0, count: slack)
                                    sources[taps - 1] = UnsafePointer(phases)
                                }
                            } else {
                                parallelFor(min(cores, cg)) { part in
                                    for ci in (cg * part / min(cores, cg))..<(cg * (part + 1) / min(cores, cg)) {
                                        layout.fill(src + ci * h * wd, h: h, w: wd, into: phases + ci * planeSize)
                                    }
                                }
                                (phases + cg * planeSize).initialize(repeating: 0, count: slack)
                                for t in 0..<taps { sources[t] = UnsafePointer(phases + offsets[t]) }
                            }
                            let dst = os.baseAddress! + (item * m + g * mg) * oh * ow
                            let weights = pk.baseAddress! + g * panelSize
                            let b = bias == nil ? nil : UnsafePointer(biases + g * mg)
                            parallelFor(columnCount * filterBlocks) { unit in
                                let q0 = (unit % columnCount) * columnStep, q1 = min(grid, q0 + columnStep)
                                let p0 = (unit / columnCount) * panelStep, p1 = min(panels, p0 + panelStep)
                                guard p0 < p1, q0 < q1 else { return }
                                cf_conv_run(weights, Int32(taps), Int32(p0 * filterRows), Int32(min(mg, p1 * filterRows)), sources,
                                            Int32(q0), Int32(q1), b, low, high, dst, oh * ow, Int32(pitch), Int32(ow),
                                            panelMajor ? 1 : 0)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The filters of each group in the kernel's panels (`cf_conv_pack`); nil unless the weights
    /// are M × C/group × kh × kw with M a multiple of `group`.
    static func packedFilters(_ w: Tensor, group: Int) -> Tensor? {
        guard w.rank == 4, group >= 1, w.shape[0] % group == 0, w.count > 0 else { return nil }
        let mg = w.shape[0] / group, taps = w.count / w.shape[0], rows = Int(cf_conv_rows())
        let panelSize = (mg + rows - 1) / rows * rows * taps
        return w.storage.withUnsafeBufferPointer { ws in
            makeTensor(shape: [group * panelSize]) { ps in
                parallelFor(group) { g in
                    cf_conv_pack(Int32(mg), Int32(taps), ws.baseAddress! + g * mg * taps, taps, ps.baseAddress! + g * panelSize)
                }
            }
        }
    }
}
