import Foundation
import Tensors

/// The random jitter, scaling and rotation of feature visualisation, drawn anew at every step, so that
/// the picture must raise the activation wherever the pattern lands rather than through one exact
/// arrangement of pixels (lucid's `standard_transforms`: jitter, scale 0.9…1.1, rotation ±10°, jitter).
///
/// One affine resampling does all of them: output pixel q (taken from the centre) reads the picture at
/// R(angle)·(q + shift) / scale + jitter, bilinearly, grey (0.5) outside, like lucid's 0.5 padding.
/// `adjoint` spreads a gradient back with the same weights, so the gradient is exact.
public struct RandomTransform: Sendable {
    public var jitter: (x: Float, y: Float) = (0, 0)
    public var scale: Float = 1
    /// Radians.
    public var angle: Float = 0
    /// The second jitter, in the output's frame.
    public var shift: (x: Float, y: Float) = (0, 0)
    /// What the picture holds outside its edges.
    public static let outside: Float = 0.5

    public init(jitter: (x: Float, y: Float) = (0, 0), scale: Float = 1, angle: Float = 0,
                shift: (x: Float, y: Float) = (0, 0)) {
        self.jitter = jitter; self.scale = scale; self.angle = angle; self.shift = shift
    }

    /// Lucid's draws, for a picture of `side` pixels: whole-pixel jitters of up to ±side / 56 and ±side / 112
    /// pixels, at least ±1 (lucid's random crops of 8 and 4 pixels at 224: ±4 and ±2), a scale from 0.90,
    /// 0.92, …, 1.10 and a whole number of degrees in −10…10.
    public static func random(side: Int, _ rng: inout RandomSource) -> RandomTransform {
        func pixels(_ most: Int) -> Float { Float(Int(rng.next() % UInt64(2 * most + 1)) - most) }
        let first = max(1, side / 56), second = max(1, side / 112)
        var t = RandomTransform()
        t.jitter = (pixels(first), pixels(first))
        t.scale = 1 + Float(Int(rng.next() % 11) - 5) / 50
        t.angle = Float(Int(rng.next() % 21) - 10) * Float.pi / 180
        t.shift = (pixels(second), pixels(second))
        return t
    }

    /// For each output pixel of an h × w plane, its four source pixels (−1: outside) and their weights.
    func taps(height h: Int, width w: Int) -> [(index: (Int, Int, Int, Int), weight: (Float, Float, Float, Float))] {
        let c = cosf(angle), s = sinf(angle), cx = Float(w) / 2, cy = Float(h) / 2
        var out: [(index: (Int, Int, Int, Int), weight: (Float, Float, Float, Float))] = []
        out.reserveCapacity(h * w)
        for y in 0..<h {
            for x in 0..<w {
                let qx = (Float(x) + 0.5 - cx + shift.x) / scale, qy = (Float(y) + 0.5 - cy + shift.y) / scale
                let px = c * qx - s * qy + cx + jitter.x - 0.5, py = s * qx + c * qy + cy + jitter.y - 0.5
                let x0 = Int(px.rounded(.down)), y0 = Int(py.rounded(.down))
                let dx = px - Float(x0), dy = py - Float(y0)
                func at(_ xx: Int, _ yy: Int) -> Int { xx >= 0 && yy >= 0 && xx < w && yy < h ? yy * w + xx : -1 }
                out.append(((at(x0, y0), at(x0 + 1, y0), at(x0, y0 + 1), at(x0 + 1, y0 + 1)),
                            ((1 - dx) * (1 - dy), dx * (1 - dy), (1 - dx) * dy, dx * dy)))
            }
        }
        return out
    }

    /// The planes (each h × w) resampled.
    public func apply(_ planes: [Float], height h: Int, width w: Int) -> [Float] {
        let taps = self.taps(height: h, width: w), area = h * w
        var out = [Float](repeating: 0, count: planes.count)
        for p in 0..<(planes.count / area) {
            let base = p * area
            func v(_ i: Int) -> Float { i < 0 ? Self.outside : planes[base + i] }
            for (o, t) in taps.enumerated() {
                out[base + o] = t.weight.0 * v(t.index.0) + t.weight.1 * v(t.index.1)
                    + t.weight.2 * v(t.index.2) + t.weight.3 * v(t.index.3)
            }
        }
        return out
    }

    /// d/dPlanes from d/dOutput: each output pixel's gradient back to its four source pixels.
    public func adjoint(_ gradient: [Float], height h: Int, width w: Int) -> [Float] {
        let taps = self.taps(height: h, width: w), area = h * w
        var out = [Float](repeating: 0, count: gradient.count)
        for p in 0..<(gradient.count / area) {
            let base = p * area
            func add(_ i: Int, _ v: Float) { if i >= 0 { out[base + i] += v } }
            for (o, t) in taps.enumerated() {
                let g = gradient[base + o]
                add(t.index.0, g * t.weight.0); add(t.index.1, g * t.weight.1)
                add(t.index.2, g * t.weight.2); add(t.index.3, g * t.weight.3)
            }
        }
        return out
    }
}
