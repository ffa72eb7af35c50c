import Foundation
import Tensors

/// Kernels computed from parameters: `gaussian:sigma=2.5`, `gaussian:7`,
/// `gaussian:size=9,sigma=2`, `box:7`, `box:5x3`, `disk:7` (a lens blur of
/// radius 7: 15×15, not separable).
public enum ParametricKernels {
    public static let kinds = ["gaussian", "box", "disk"]

    public static func make(_ spec: String) throws -> KernelFile? {
        guard let colon = spec.firstIndex(of: ":") else { return nil }
        let kind = String(spec[..<colon]).lowercased()
        guard kinds.contains(kind) else { return nil }
        let source = "--kernel '\(Excerpt.quote(spec))'"
        var params: [String: String] = [:], positional: [String] = []
        for part in spec[spec.index(after: colon)...].split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2 { params[kv[0].lowercased()] = kv[1] } else { positional.append(kv[0]) }
        }
        func number(_ key: String, _ text: String) throws -> Double {
            guard let v = Double(text), v.isFinite, v > 0 else {
                throw KernelError(source: source, "\(key) must be a positive number, not '\(Excerpt.quote(text))'")
            }
            return v
        }
        func size(_ text: String) throws -> (Int, Int) {
            let parts = text.lowercased().split(separator: "x").map(String.init)
            guard (1...2).contains(parts.count), let h = Int(parts[0]), let w = Int(parts.last!), h >= 1, w >= 1, h <= 1025, w <= 1025 else {
                throw KernelError(source: source,
                                  "size must be N or HxW with 1 ≤ N ≤ 1025, not '\(Excerpt.quote(text))'")
            }
            return parts.count == 1 ? (h, h) : (h, w)
        }
        let sizeText = params.removeValue(forKey: "size") ?? positional.first
        switch kind {
        case "disk":
            guard let text = params["radius"] ?? positional.first, let r = Int(text), (1...512).contains(r) else {
                throw KernelError(source: source, "disk needs a radius from 1 to 512, e.g. disk:5")
            }
            // Pixels whose centre lies within the radius (plus half a pixel), equally weighted.
            let n = 2 * r + 1
            let limit = (Double(r) + 0.5) * (Double(r) + 0.5)
            var m = (0..<n).map { y in (0..<n).map { x -> Float in
                let dy = Double(y - r), dx = Double(x - r)
                return dy * dy + dx * dx <= limit ? 1 : 0
            } }
            let total = m.flatMap { $0 }.reduce(0, +)
            m = m.map { $0.map { $0 / total } }
            return KernelFile(name: "disk:\(r)", description: "\(n)×\(n) disk blur (lens bokeh), radius \(r)",
                              filters: [.init(slices: [m])], origin: "parametric")
        case "box":
            guard let sizeText else { throw KernelError(source: source, "box needs a size, e.g. box:7") }
            let (h, w) = try size(sizeText)
            let v = Float(1 / Double(h * w))
            return KernelFile(name: "box:\(h == w ? "\(h)" : "\(h)x\(w)")", description: "\(h)×\(w) box blur",
                              filters: [.init(slices: [Array(repeating: Array(repeating: v, count: w), count: h)])],
                              origin: "parametric")
        default:
            var sigma = try params.removeValue(forKey: "sigma").map { try number("sigma", $0) }
            var n: Int
            if let sizeText {
                let (h, w) = try size(sizeText)
                guard h == w, h % 2 == 1 else {
                    throw KernelError(source: source,
                                      "a Gaussian's size must be odd and square, not '\(Excerpt.quote(sizeText))'")
                }
                n = h
            } else if let s = sigma {
                n = 2 * Int((3 * s).rounded(.up)) + 1 // ±3σ holds 99.7% of the weight
            } else {
                throw KernelError(source: source, "gaussian needs sigma=S or a size, e.g. gaussian:sigma=2 or gaussian:5")
            }
            guard n <= 1025 else { throw KernelError(source: source, "σ too large: the kernel would be \(n)×\(n)") }
            // OpenCV's rule for a size given without σ.
            if sigma == nil { sigma = 0.3 * (Double(n - 1) * 0.5 - 1) + 0.8 }
            let s = sigma!
            let r = n / 2
            let g = (-r...r).map { Foundation.exp(-Double($0 * $0) / (2 * s * s)) }
            let total = g.reduce(0, +)
            let g1 = g.map { $0 / total }
            let m = g1.map { a in g1.map { b in Float(a * b) } }
            let shownSigma = (s * 1000).rounded() / 1000
            return KernelFile(name: "gaussian:size=\(n),sigma=\(shownSigma)", description: "\(n)×\(n) Gaussian blur, σ = \(shownSigma)",
                              filters: [.init(slices: [m])], origin: "parametric")
        }
    }
}
