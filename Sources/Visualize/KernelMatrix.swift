import Foundation
import Kernels

/// A 2-D kernel as a reader of the lecture writes it: whole numbers (`-1 8 -1`), or whole numbers over a
/// common denominator as the kernel files write them (`1/16 × 1 2 1 / 2 4 2 / 1 2 1`); a kernel with neither
/// (a Gaussian of σ = 2) has no short exact form, and pictures and pages show it rounded or as a small image.
public struct KernelMatrix: Sendable {
    public var name: String
    public var values: [[Float]]
    /// n when every value is a whole multiple of 1/n (1 for whole numbers); nil when there is none up to 1024.
    public var denominator: Int?

    public init(name: String, values: [[Float]]) {
        self.name = name
        self.values = values
        denominator = Self.denominator(of: values.flatMap { $0 })
    }

    public init(_ kernel: KernelFile) { self.init(name: kernel.name, values: kernel.matrix) }

    public var height: Int { values.count }
    public var width: Int { values.first?.count ?? 0 }

    /// The smallest n ≤ 1024 that makes every value a whole number of at most 4 digits, within a few Float32
    /// roundings (1/9 is not exact in binary).
    static func denominator(of values: [Float]) -> Int? {
        for n in 1...1024 {
            let fits = values.allSatisfy { v in
                let scaled = Double(v) * Double(n), whole = scaled.rounded()
                return v.isFinite && abs(whole) <= 9999 && (v == 0) == (whole == 0)
                    && abs(scaled - whole) <= 1e-6 * abs(scaled)
            }
            if fits { return n }
        }
        return nil
    }

    /// "1/16" for a denominator above 1.
    public var factor: String? { denominator.flatMap { $0 > 1 ? "1/\($0)" : nil } }

    /// The cells as text: the whole numbers (numerators over `factor`), else 3 significant digits.
    public var cells: [[String]] {
        values.map { row in
            row.map { v in
                if let n = denominator { return String(Int((Double(v) * Double(n)).rounded())) }
                return String(format: "%.3g", Double(v))
            }
        }
    }

    /// The range a picture of the kernel spans: 0 to the largest value for a kernel without negative values
    /// (a blur), else symmetric about 0, so 0 is black or mid-grey.
    public var pictureRange: (Float, Float) {
        let all = values.flatMap { $0 }.filter(\.isFinite)
        let lo = all.min() ?? 0, hi = all.max() ?? 0
        if lo >= 0 { return (0, max(hi, Float.leastNormalMagnitude)) }
        let a = max(abs(lo), abs(hi))
        return (-a, a)
    }
}
