import Tensors

/// One step of a network with its backward pass. Shapes are per sample
/// (C×H×W or F); tensors passed in and out carry the batch first.
///
/// `forward(training: true)` keeps what `backward` needs; `backward` takes
/// dLoss/dOutput, adds dLoss/dParameter into each parameter's `grad` and
/// returns dLoss/dInput.
public protocol Layer: AnyObject {
    /// The line of the architecture format that builds this layer.
    var description: String { get }
    var parameters: [Parameter] { get }
    func outputShape(_ input: [Int]) throws -> [Int]
    func forward(_ x: Tensor, training: Bool) -> Tensor
    func backward(_ dy: Tensor) -> Tensor
}

extension Layer {
    public var parameters: [Parameter] { [] }
}

/// A layer whose inference depends on the epoch's randomness (dropout).
protocol RandomizedLayer: Layer {
    func reseed(_ rng: RandomSource)
}

/// Why an architecture does not fit its input or cannot be built.
public struct TrainingError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
