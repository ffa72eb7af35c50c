import Foundation

/// The picture feature visualisation optimises, as lucid builds it: a `FourierImage` whose channels,
/// for a colour (3-channel) model, are coordinates in a decorrelated colour space that a fixed matrix
/// turns into RGB, squashed into [0, 1] by a sigmoid. In decorrelated colours a step moves the
/// brightness and the colour contrasts separately, as natural images vary, instead of R, G and B.
public struct FeatureImage: Sendable {
    public let fourier: FourierImage

    /// Lucid's square root of the colour correlation of ImageNet photos (its published
    /// `color_correlation_svd_sqrt`), divided by its largest column norm; RGB = this · decorrelated.
    static let colourMatrix: [Float] = {
        let root: [Double] = [0.26, 0.09, 0.02,
                              0.27, 0.00, -0.05,
                              0.27, -0.09, 0.03]
        let largest = (0..<3).map { j in (0..<3).map { root[$0 * 3 + j] * root[$0 * 3 + j] }.reduce(0, +).squareRoot() }
            .max()!
        return root.map { Float($0 / largest) }
    }()

    public init(channels: Int, height: Int, width: Int) {
        fourier = FourierImage(channels: channels, height: height, width: width)
    }

    var decorrelated: Bool { fourier.channels == 3 }

    /// channels × h × w in [0, 1].
    public func image(_ parameters: [Float]) -> [Float] {
        colours(fourier.image(parameters), transposed: false).map { 1 / (1 + expf(-$0)) }
    }

    /// d/dParameters from d/dImage, at the `picture` that `image(parameters)` gave.
    public func gradient(_ imageGradient: [Float], picture: [Float]) -> [Float] {
        let beforeSigmoid = zip(imageGradient, picture).map { g, s in g * s * (1 - s) }
        return fourier.gradient(colours(beforeSigmoid, transposed: true))
    }

    /// Each pixel's three values times the colour matrix (or its transpose, for the gradient).
    func colours(_ planes: [Float], transposed: Bool) -> [Float] {
        guard decorrelated else { return planes }
        let area = fourier.height * fourier.width, m = Self.colourMatrix
        var out = [Float](repeating: 0, count: planes.count)
        for i in 0..<3 {
            for j in 0..<3 {
                let k = transposed ? m[j * 3 + i] : m[i * 3 + j]
                for p in 0..<area { out[i * area + p] += k * planes[j * area + p] }
            }
        }
        return out
    }
}
