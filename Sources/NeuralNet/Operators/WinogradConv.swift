import CDirectConv
import Convolution
import Tensors

/// 3×3 convolutions at stride 1 with many channels (ResNet's and VGG's), by Winograd's
/// F(2×2, 3×3): each 2×2 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for its 4×4 input tile d, so
/// that the multiply-adds become 16 matrix products (filters × channels times channels × tiles):
/// 16 products per tile and channel pair instead of 36, 2.25 times fewer. The transformed
/// weights U = G g Gᵀ are packed once per model for the direct kernel, which computes the
/// products (`cf_conv_run`, one per element of the 4×4 transform); the input tiles come from
/// phase planes (a 4×4 kernel at stride 2, `PhasePlanes`), transformed LANES tiles at a time
/// (`cf_winograd_input`, `cf_winograd_output`). The transforms only add and subtract, and G's
/// halves are exact, so the results stay as close to onnxruntime's as the direct kernel's
/// (the fixtures' bound is 1e-4 of the largest value).
enum WinogradConv {
    /// Whether a convolution on the direct path runs here: 3×3, stride 1, no dilation, one group, at
    /// least 8 channels and 8 filters (below that the transforms outweigh the products).
    static func applies(weight w: Tensor, group: Int, strides: [Int], dilations: [Int]) -> Bool {
        w.rank == 4 && w.shape[2] == 3 && w.shape[3] == 3 && group == 1 && strides == [1, 1] && dilations == [1, 1]
            && w.shape[0] >= 8 && w.shape[1] >= 8
    }

    /// Whether its transformed tiles (16 values per 2×2 tile for every channel and filter, 4 times
    /// the input and output) stay within 1 GB for this input; larger inputs take the direct kernel.
    static func fits(channels c: Int, filters m: Int, outHeight oh: Int, outWidth ow: Int) -> Bool {
        let tiles = (oh + 1) / 2 * ((ow + 1) / 2)
        return tiles < Int(Int32.max) / 2 && 16 * (c + m) * (tiles + 32) <= 1 << 28
    }

    /// U = G g Gᵀ of each filter and channel, as 16 matrices (filters × channels), each in the direct
    /// kernel's panels (`cf_conv_pack`), one after another.
    static func packedFilters(_ w: Tensor) -> Tensor {
        let m = w.shape[0], c = w.shape[1], rows = Int(cf_conv_rows())
        let panelSize = (m + rows - 1) / rows * rows * c
        // G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], in Double.
        func g(_ v: Double, _ u: Double, _ t: Double) -> [Double] { [v, (v + u + t) / 2, (v - u + t) / 2, t] }
        var u = [Float](repeating: 0, count: 16 * m * c)
        for o in 0..<m {
            for ci in 0..<c {
                let k = (0..<9).map { Double(w.storage[(o * c + ci) * 9 + $0]) }
                let rows = (0..<3).map { g(k[$0 * 3], k[$0 * 3 + 1], k[$0 * 3 + 2]) }  // G applied along each row
                for j in 0..<4 {
                    let column = g(rows[0][j], rows[1][j], rows[2][j])                 // ... then down each column
                    for i in 0..<4 { u[((i * 4 + j) * m + o) * c + ci] = Float(column[i]) }
                }
            }
        }
        return u.withUnsafeBufferPointer { us in
            makeTensor(shape: [16 * panelSize]) { ps in
                parallelFor(16) { xi in
                    cf_conv_pack(Int32(m), Int32(c), us.baseAddress! + xi * m * c, c, ps.baseAddress! + xi * panelSize)
                }
            }
        }
    }

    /// `clip`: bounds the output is clamped to (a Relu or Clip fused by the model runner).
    static func run(_ x: Tensor, _ w: Tensor, bias: Tensor?, pads: Padding, outHeight oh: Int, outWidth ow: Int,
                    clip: (low: Float, high: Float)? = nil, packed prepacked: Tensor? = nil) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3], m = w.shape[0]
        let th = (oh + 1) / 2, tw = (ow + 1) / 2, tiles = th * tw
        let lanes = Int(cf_conv_lanes()), rows = Int(cf_conv_rows()), slack = Int(cf_conv_slack())
        // Rows of V and M with room for whole vectors past the last tile.
        let pitch = (tiles + 2 * lanes - 1) / lanes * lanes
        let layout = PhasePlanes(outHeight: th, outWidth: tw, kernel: (4, 4), strides: [2, 2], dilations: [1, 1],
                                 top: pads.top, left: pads.left)
        let panelSize = (m + rows - 1) / rows * rows * c
        let packed = prepacked?.count == 16 * panelSize ? prepacked! : packedFilters(w)
        let (low, high) = clip ?? (-Float.infinity, Float.infinity)
        let biases = bias?.storage ?? [Float](repeating: 0, count: m)
        let vMatrix = c * pitch, mMatrix = m * pitch
        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * vMatrix)
        let products = UnsafeMutablePointer<Float>.allocate(capacity: 16 * mMatrix)
        defer { v.deallocate(); products.deallocate() }
        // The kernels read whole vectors: past the last tile of a row of V or M they read what the
        // transforms wrote there or nothing defined, and those lanes' results are never stored.
        let cores = BLAS.cores
        // Few tiles (a 7×7 or 14×14 output): the products with the filters in the vector lanes,
        // where the direct kernel's tiles of one or two vectors of tiles load a weight per multiply-add.
        let wideRows = Int(cf_wide_gemm_rows()), wide = wideRows > 0 && tiles <= 4 * lanes && pitch * wideRows < Int(Int32.max)
        let wideBlocks = wide ? (m + wideRows - 1) / wideRows : 0
        // The direct kernel's tap rows (channel ci of element xi of V), when it computes the products.
        let sources = wide ? [] : (0..<(16 * c)).map { Optional(UnsafePointer(v + ($0 / c) * vMatrix + ($0 % c) * pitch)) }
        return x.storage.withUnsafeBufferPointer { xs in
            packed.storage.withUnsafeBufferPointer { pk in
                makeTensor(shape: [n, m, oh, ow]) { os in
                    for item in 0..<n {
                        let src = xs.baseAddress! + item * c * h * wd
                        let channelChunks = min(c, 4 * cores)
                        parallelFor(channelChunks) { chunk in
                            let planes = UnsafeMutablePointer<Float>.allocate(capacity: layout.size + slack)
                            defer { planes.deallocate() }
                            (planes + layout.size).initialize(repeating: 0, count: slack)
                            let d = layout.tapOffsets.map { Optional(UnsafePointer(planes + $0)) }
                            for ci in (c * chunk / channelChunks)..<(c * (chunk + 1) / channelChunks) {
                                layout.fill(src + ci * h * wd, h: h, w: wd, into: planes)
                                cf_winograd_input(d, Int32(layout.pitch), Int32(th), Int32(tw), v + ci * pitch, vMatrix)
                            }
                        }
                        sources.withUnsafeBufferPointer { sp in
                            parallelFor(16) { xi in
                                if wide {
                                    cf_wide_gemm(pk.baseAddress! + xi * panelSize, Int32(c), Int32(m), v + xi * vMatrix, pitch,
                                                 Int32(tiles), nil, -.infinity, .infinity, products + xi * mMatrix, pitch, 0,
                                                 Int32(wideBlocks))
                                } else {
                                    cf_conv_run(pk.baseAddress! + xi * panelSize, Int32(c), 0, Int32(m), sp.baseAddress! + xi * c,
                                                0, Int32(tiles), nil, -.infinity, .infinity, products + xi * mMatrix, pitch,
                                                Int32(tiles), Int32(tiles), c <= 256 ? 1 : 0)
                                }
                            }
                        }
                        let filterChunks = min(m, 4 * cores), out = os.baseAddress! + item * m * oh * ow
                        parallelFor(filterChunks) { chunk in
                            for o in (m * chunk / filterChunks)..<(m * (chunk + 1) / filterChunks) {
                                cf_winograd_output(products + o * pitch, mMatrix, Int32(th), Int32(tw), biases[o], low, high,
                                                   out + o * oh * ow, Int32(oh), Int32(ow))
                            }
                        }
                    }
                }
            }
        }
    }
}
