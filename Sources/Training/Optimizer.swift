import Foundation

/// Gradient descent rules (the notes' "updated based on the Gradient Descent
/// method" and its refinements). Weight decay is L2 added to the gradient for
/// SGD and Adam and decoupled (applied to the weights directly) for AdamW; it
/// never touches biases or normalisation parameters.
public struct OptimizerSettings: Codable, Sendable, Equatable {
    public enum Rule: String, Codable, Sendable, CaseIterable { case sgd, momentum, nesterov, adam, adamw }
    public var rule: Rule = .adam
    public var learningRate: Float = 0.001
    public var momentum: Float = 0.9
    public var beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    public var weightDecay: Float = 0
    public init() {}
}

/// Per-parameter state lives here, in the order of the network's parameters,
/// so that checkpoints can store and restore it.
public final class Optimizer {
    public let settings: OptimizerSettings
    /// Momentum buffers (SGD) or first moments (Adam).
    var first: [[Float]]
    /// Second moments (Adam).
    var second: [[Float]]
    public private(set) var steps = 0

    public init(_ settings: OptimizerSettings, parameters: [Parameter]) {
        self.settings = settings
        first = parameters.map { [Float](repeating: 0, count: $0.trainable ? $0.count : 0) }
        second = settings.rule == .adam || settings.rule == .adamw ? first : parameters.map { _ in [] }
    }

    /// One update with learning rate `rate` (the schedule's value this epoch).
    public func step(_ parameters: [Parameter], rate: Float) {
        steps += 1
        let s = settings
        let bias1 = 1 - powf(s.beta1, Float(steps)), bias2 = 1 - powf(s.beta2, Float(steps))
        for (index, p) in parameters.enumerated() where p.trainable {
            let decay = p.decays ? s.weightDecay : 0
            p.value.withUnsafeMutableBufferPointer { w in
                p.grad.withUnsafeBufferPointer { g in
                    first[index].withUnsafeMutableBufferPointer { m in
                        second[index].withUnsafeMutableBufferPointer { v in
                            for i in 0..<w.count {
                                var grad = g[i]
                                switch s.rule {
                                case .sgd:
                                    w[i] -= rate * (grad + decay * w[i])
                                case .momentum, .nesterov:
                                    grad += decay * w[i]
                                    m[i] = s.momentum * m[i] + grad
                                    w[i] -= rate * (s.rule == .nesterov ? grad + s.momentum * m[i] : m[i])
                                case .adam, .adamw:
                                    if s.rule == .adam { grad += decay * w[i] } else { w[i] -= rate * decay * w[i] }
                                    m[i] = s.beta1 * m[i] + (1 - s.beta1) * grad
                                    v[i] = s.beta2 * v[i] + (1 - s.beta2) * grad * grad
                                    w[i] -= rate * (m[i] / bias1) / ((v[i] / bias2).squareRoot() + s.epsilon)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// For checkpoints.
    var state: (steps: Int, first: [[Float]], second: [[Float]]) { (steps, first, second) }

    func restore(steps: Int, first: [[Float]], second: [[Float]]) throws {
        guard first.map(\.count) == self.first.map(\.count), second.map(\.count) == self.second.map(\.count) else {
            throw TrainingError("the checkpoint's optimizer state does not fit this network and optimizer")
        }
        self.steps = steps; self.first = first; self.second = second
    }
}

/// Learning rate per epoch: constant, divided by `gamma` every `every` epochs,
/// or a cosine from the initial rate to zero over the run.
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    case constant
    case step(every: Int, gamma: Float)
    case cosine

    public func rate(_ base: Float, epoch: Int, epochs: Int) -> Float {
        switch self {
        case .constant: return base
        case .step(let every, let gamma): return base * powf(gamma, Float(epoch / max(every, 1)))
        case .cosine: return base * 0.5 * (1 + cosf(Float.pi * Float(epoch) / Float(max(epochs, 1))))
        }
    }

    /// `constant`, `step:EVERY[:GAMMA]` or `cosine`.
    public static func parse(_ text: String) throws -> LearningRateSchedule {
        let parts = text.lowercased().split(separator: ":")
        switch parts.first {
        case "constant": return .constant
        case "cosine": return .cosine
        case "step":
            guard parts.count >= 2, let every = Int(parts[1]), every > 0 else { throw TrainingError("--schedule step needs an epoch count, e.g. step:5 or step:5:0.1") }
            let gamma = parts.count > 2 ? Float(parts[2]) : 0.1
            guard let gamma, gamma > 0, gamma <= 1 else { throw TrainingError("--schedule step:\(every):\(parts[2]): the factor must be in (0, 1]") }
            return .step(every: every, gamma: gamma)
        default:
            throw TrainingError("--schedule '\(text)' is not one of constant, step:EVERY[:GAMMA], cosine")
        }
    }
}
