import Foundation
import Tensors

/// Random changes to training images, each off unless asked for (the notes'
/// data augmentation): flips, small rotations, translations (crops of a
/// zero-padded image), zoom and brightness. Geometry is one affine map about
/// the image centre, sampled bilinearly with zeros outside.
public struct Augmentation: Codable, Sendable, Equatable {
    public var horizontalFlip = false
    public var verticalFlip = false
    /// Largest rotation either way, in degrees.
    public var rotation: Float = 0
    /// Largest shift either way, in pixels.
    public var translation: Float = 0
    /// Largest relative change of scale, e.g. 0.1 for 90 %–110 %.
    public var zoom: Float = 0
    /// Largest relative change of brightness (pixels multiplied by 1 ± b, clipped to [0, 1]).
    public var brightness: Float = 0

    public init() {}

    public var isEnabled: Bool { self != Augmentation() }

    /// `flip,vflip,rotate=10,translate=2,crop=2,zoom=0.1,brightness=0.2` (crop=P is a
    /// random crop of the image padded by P pixels: the same as translate=P).
    public static func parse(_ text: String) throws -> Augmentation {
        var a = Augmentation()
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            func value(_ max: Float) throws -> Float {
                guard parts.count == 2, let v = Float(parts[1]), v >= 0, v <= max else {
                    throw TrainingError("--augment \(item): needs =VALUE between 0 and \(max)")
                }
                return v
            }
            switch parts[0] {
            case "flip", "hflip": a.horizontalFlip = true
            case "vflip": a.verticalFlip = true
            case "rotate": a.rotation = try value(180)
            case "translate", "crop": a.translation = try value(1000)
            case "zoom": a.zoom = try value(0.9)
            case "brightness": a.brightness = try value(1)
            default: throw TrainingError("--augment: unknown '\(parts[0])' (known: flip, vflip, rotate=DEG, translate=PX, crop=PX, zoom=F, brightness=F)")
            }
        }
        return a
    }

    public var summary: String {
        var parts: [String] = []
        if horizontalFlip { parts.append("flip") }
        if verticalFlip { parts.append("vflip") }
        if rotation > 0 { parts.append("rotate=\(rotation)") }
        if translation > 0 { parts.append("translate=\(translation)") }
        if zoom > 0 { parts.append("zoom=\(zoom)") }
        if brightness > 0 { parts.append("brightness=\(brightness)") }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }

    /// Writes an augmented copy of `source` (C×H×W) to `target`.
    func apply(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, channels: Int, height h: Int, width w: Int,
               rng: inout RandomSource) {
        let flipX = horizontalFlip && rng.unit() < 0.5, flipY = verticalFlip && rng.unit() < 0.5
        let angle = rotation > 0 ? rng.uniform(-rotation, rotation) * Float.pi / 180 : 0
        let scale = zoom > 0 ? rng.uniform(1 - zoom, 1 + zoom) : 1
        let tx = translation > 0 ? rng.uniform(-translation, translation).rounded() : 0
        let ty = translation > 0 ? rng.uniform(-translation, translation).rounded() : 0
        let gain = brightness > 0 ? rng.uniform(1 - brightness, 1 + brightness) : 1
        // Output pixel → source pixel: inverse rotation and zoom about the centre, then the shift.
        let cx = Float(w - 1) / 2, cy = Float(h - 1) / 2
        let c = cosf(angle) / scale, s = sinf(angle) / scale
        let plane = h * w
        for y in 0..<h {
            for x in 0..<w {
                let dx = Float(flipX ? w - 1 - x : x) - cx - tx, dy = Float(flipY ? h - 1 - y : y) - cy - ty
                let sx = c * dx + s * dy + cx, sy = -s * dx + c * dy + cy
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                let fx = sx - Float(x0), fy = sy - Float(y0)
                for ch in 0..<channels {
                    let p = source + ch * plane
                    func at(_ yy: Int, _ xx: Int) -> Float { yy >= 0 && yy < h && xx >= 0 && xx < w ? p[yy * w + xx] : 0 }
                    var v = (at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx) * (1 - fy) + (at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx) * fy
                    if gain != 1 { v = min(max(v * gain, 0), 1) }
                    target[ch * plane + y * w + x] = v
                }
            }
        }
    }
}
