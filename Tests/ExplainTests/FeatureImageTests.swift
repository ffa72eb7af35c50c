import Explain
import Foundation
import ImageCodecs
import Testing
import Tensors

/// The pieces of feature visualisation: the picture's parameterisation against numpy's FFT
/// (scripts/make-feature-image-fixtures.py), and every gradient as the adjoint of its forward map.
@Suite struct FeatureImageTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/feature-image")

    static func npy(_ name: String) throws -> Tensor {
        let url = fixtures.appendingPathComponent(name)
        return try NPYCodec.decode([UInt8](try Data(contentsOf: url)), path: name, imageShape: false)
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RandomSource(seed: seed)
        return (0..<n).map { _ in rng.normal() }
    }

    @Test(arguments: ["grey-6x7", "colour-8x8", "colour-5x6"])
    func pictureMatchesNumpy(_ name: String) throws {
        let parameters = try Self.npy(name + "-parameters.npy"), want = try Self.npy(name + "-picture.npy")
        let (c, h, w) = (want.shape[0], want.shape[1], want.shape[2])
        let got = FeatureImage(channels: c, height: h, width: w).image(parameters.storage)
        let error = zip(got, want.storage).map { abs($0 - $1) }.max() ?? .infinity
        #expect(got.count == want.count && error <= 1e-5, "largest difference \(error)")
    }

    /// ⟨image(p), d⟩ = ⟨p, gradient(d)⟩: the Fourier image is linear, its gradient its adjoint.
    @Test(arguments: [(1, 6, 7), (3, 8, 8), (3, 16, 9)])
    func fourierGradientIsTheAdjoint(_ size: (Int, Int, Int)) {
        let f = FourierImage(channels: size.0, height: size.1, width: size.2)
        let p = Self.random(f.count, seed: 1), d = Self.random(size.0 * size.1 * size.2, seed: 2)
        let left = Self.dot(f.image(p), d), right = Self.dot(p, f.gradient(d))
        #expect(abs(left - right) <= 1e-4 * max(abs(left), 1), "\(left) against \(right)")
    }

    /// The picture's gradient (colours and sigmoid too) against central differences.
    @Test func pictureGradientMatchesDifferences() {
        let picture = FeatureImage(channels: 3, height: 8, width: 6)
        let p = Self.random(picture.fourier.count, seed: 3).map { $0 * 0.5 }
        let v = Self.random(p.count, seed: 4), d = Self.random(3 * 8 * 6, seed: 5)
        let g = picture.gradient(d, picture: picture.image(p))
        let e: Float = 1e-2
        let plus = picture.image(zip(p, v).map { $0 + e * $1 }), minus = picture.image(zip(p, v).map { $0 - e * $1 })
        let difference = (Self.dot(plus, d) - Self.dot(minus, d)) / Double(2 * e)
        let directional = Self.dot(g, v)
        #expect(abs(difference - directional) <= 1e-3 * max(abs(directional), 1), "\(difference) \(directional)")
    }

    /// The transform is affine (grey comes in from outside): its linear part's adjoint is `adjoint`.
    @Test func transformGradientIsTheAdjoint() {
        let t = RandomTransform(jitter: (1, -2), scale: 1.08, angle: 0.12, shift: (-1, 1))
        let (h, w) = (9, 11)
        let x = Self.random(2 * h * w, seed: 6), y = Self.random(2 * h * w, seed: 7)
        let offset = t.apply([Float](repeating: 0, count: x.count), height: h, width: w)
        let linear = zip(t.apply(x, height: h, width: w), offset).map { $0 - $1 }
        let left = Self.dot(linear, y), right = Self.dot(x, t.adjoint(y, height: h, width: w))
        #expect(abs(left - right) <= 1e-4 * max(abs(left), 1), "\(left) against \(right)")
    }

    /// By hand: no transform copies the picture; a jitter of one pixel shifts it, grey coming in; a
    /// quarter turn of a square turns its pixels.
    @Test func transformsMovePixelsAsSaid() {
        let (h, w) = (4, 4)
        let x = (0..<(h * w)).map(Float.init)
        #expect(RandomTransform().apply(x, height: h, width: w) == x)
        let shifted = RandomTransform(jitter: (1, 0)).apply(x, height: h, width: w)
        for y in 0..<h {
            #expect(Array(shifted[(y * w)..<(y * w + 3)]) == Array(x[(y * w + 1)..<(y * w + 4)]))
            #expect(shifted[y * w + 3] == RandomTransform.outside)
        }
        // About the centre, output (u, v) reads (−v, u) at angle π/2: output pixel (col, row) reads the
        // source pixel (col 3 − row, row col), so output (0, 0) reads (3, 0).
        let turned = RandomTransform(angle: Float.pi / 2).apply(x, height: h, width: w)
        for row in 0..<h {
            for col in 0..<w {
                #expect(abs(turned[row * w + col] - x[col * w + (w - 1 - row)]) < 1e-4, "(\(col), \(row))")
            }
        }
    }

    @Test func channelListsParseAsWritten() throws {
        #expect(try ChannelList.parse("0-3") == [0, 1, 2, 3])
        #expect(try ChannelList.parse("7,2,4-5,2") == [7, 2, 4, 5])
        for bad in ["", "3-1", "a", "1-", "-2", "1,,2"] {
            #expect(throws: (any Error).self, "'\(bad)'") { try ChannelList.parse(bad) }
        }
    }
}
