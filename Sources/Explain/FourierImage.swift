import Foundation
import NeuralNet
import Tensors

/// An image described by its spectrum, as lucid and lucent parameterise the pictures of feature
/// visualisation: each channel is the inverse real 2-D Fourier transform (orthonormal, numpy's
/// `irfft2(norm="ortho")`) of its half spectrum (h × (w/2 + 1) complex coefficients) multiplied by
/// 1 / frequency, divided by 4. Gradient ascent on the coefficients then moves all frequencies at a
/// similar rate, where on pixels the high ones would win and the picture would turn to noise.
///
/// Both transforms are matrix products: along the rows with the complex exponentials of height h,
/// then along the columns with the real inverse of width w (the imaginary parts of the constant and,
/// for even w, the Nyquist column are ignored, as numpy ignores them). `gradient` is the adjoint.
public struct FourierImage: Sendable {
    public let channels: Int, height: Int, width: Int
    /// The half spectrum's columns: w / 2 + 1.
    public var columns: Int { width / 2 + 1 }
    /// Values per channel in the parameters: the real plane then the imaginary one, each h × columns.
    public var perChannel: Int { 2 * height * columns }
    public var count: Int { channels * perChannel }

    /// 1 / max(frequency, 1 / max(h, w)) per coefficient (h × columns), the frequency in cycles per pixel.
    let scale: [Float]
    /// [[cos, −sin], [sin, cos]] of 2π·ky·y / h, (2h) × (2h): the complex inverse transform along the rows.
    let rows: [Float]
    /// The real and imaginary parts' contributions along a row, columns × w each: 1/√(hw) / 4 times
    /// c·cos(2π·kx·x / w) and −c·sin(2π·kx·x / w), c = 1 for the constant and Nyquist columns, 2 otherwise.
    let real: [Float], imaginary: [Float]

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels; self.height = height; self.width = width
        let h = height, w = width, m = width / 2 + 1
        var scale = [Float](repeating: 0, count: h * m)
        for ky in 0..<h {
            // numpy's fftfreq: 0, 1, …, then the negative frequencies.
            let fy = Double(ky <= (h - 1) / 2 ? ky : ky - h) / Double(h)
            for kx in 0..<m {
                let fx = Double(kx) / Double(w), f = (fx * fx + fy * fy).squareRoot()
                scale[ky * m + kx] = Float(1 / max(f, 1 / Double(max(h, w))))
            }
        }
        self.scale = scale
        var rows = [Float](repeating: 0, count: 4 * h * h)
        for y in 0..<h {
            for ky in 0..<h {
                let angle = 2 * Double.pi * Double((ky * y) % h) / Double(h)
                let c = Float(cos(angle)), s = Float(sin(angle))
                rows[y * 2 * h + ky] = c; rows[y * 2 * h + h + ky] = -s
                rows[(h + y) * 2 * h + ky] = s; rows[(h + y) * 2 * h + h + ky] = c
            }
        }
        self.rows = rows
        let norm = 1 / (Double(h * w).squareRoot() * 4)
        var real = [Float](repeating: 0, count: m * w), imaginary = real
        for kx in 0..<m {
            let edge = kx == 0 || (w % 2 == 0 && kx == w / 2)
            for x in 0..<w {
                let angle = 2 * Double.pi * Double((kx * x) % w) / Double(w), c = edge ? 1.0 : 2.0
                real[kx * w + x] = Float(norm * c * cos(angle))
                imaginary[kx * w + x] = edge ? 0 : Float(-norm * c * sin(angle))
            }
        }
        self.real = real; self.imaginary = imaginary
    }

    /// Lucid's start: every coefficient normal with standard deviation `deviation`.
    public func randomParameters(seed: UInt64, deviation: Float = 0.01) -> [Float] {
        var rng = RandomSource(seed: seed)
        return (0..<count).map { _ in deviation * rng.normal() }
    }

    /// The channels × h × w image of `parameters` (channels × [real plane, imaginary plane]).
    public func image(_ parameters: [Float]) -> [Float] {
        precondition(parameters.count == count)
        let h = height, m = columns, plane = h * m
        var out: [Float] = []
        out.reserveCapacity(channels * h * width)
        for c in 0..<channels {
            var z = Array(parameters[(c * perChannel)..<((c + 1) * perChannel)])
            for i in 0..<(2 * plane) { z[i] *= scale[i % plane] }
            let y = matrixProduct(rows, z, m: 2 * h, n: m, k: 2 * h)
            let re = matrixProduct(Array(y[..<plane]), real, m: h, n: width, k: m)
            let im = matrixProduct(Array(y[plane...]), imaginary, m: h, n: width, k: m)
            out += zip(re, im).map(+)
        }
        return out
    }

    /// d/dParameters from d/dImage (channels × h × w): the adjoint of `image`.
    public func gradient(_ imageGradient: [Float]) -> [Float] {
        precondition(imageGradient.count == channels * height * width)
        let h = height, m = columns, plane = h * m, area = h * width
        var out: [Float] = []
        out.reserveCapacity(count)
        for c in 0..<channels {
            let d = Array(imageGradient[(c * area)..<((c + 1) * area)])
            let dy = matrixProduct(d, real, m: h, n: m, k: width, transposingB: true)
                + matrixProduct(d, imaginary, m: h, n: m, k: width, transposingB: true)
            var dz = matrixProduct(rows, dy, m: 2 * h, n: m, k: 2 * h, transposingA: true)
            for i in 0..<(2 * plane) { dz[i] *= scale[i % plane] }
            out += dz
        }
        return out
    }
}
