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
    /// Momentum buffers (SGD) or first moments (Adam), one per parameter.
    var first: [[Float]]
    /// Second moments (Adam).
    var second: [[Float]]
    public private(set) var steps = 0

    public init(_ settings: OptimizerSettings, parameters: [Parameter]) {
        self.settings = settings
        first = parameters.map { [Float](repeating: 0, count: $0.trainable && settings.rule != .sgd ? $0.count : 0) }
        second = settings.rule == .adam || settings.rule == .adamw ? first : parameters.map { _ in [] }
    }

    /// One update with learning rate `rate` (the schedule's value this epoch).
    public func step(_ parameters: [Parameter], rate: Float) {
        steps += 1
        for (index, p) in parameters.enumerated() where p.trainable {
            // Moved out and back so the buffers are uniquely referenced while written (no copies).
            var m = first[index], v = second[index]
            first[index] = []; second[index] = []
            update(p, &m, &v, rate: rate)
            first[index] = m; second[index] = v
        }
    }

    private func update(_ p: Parameter, _ m: inout [Float], _ v: inout [Float], rate: Float) {
        let s = settings, decay = p.decays ? s.weightDecay : 0, count = p.count
        let bias1 = 1 - powf(s.beta1, Float(steps)), bias2 = 1 - powf(s.beta2, Float(steps))
        p.value.withUnsafeMutableBufferPointer { wb in
            p.grad.withUnsafeBufferPointer { gb in
                m.withUnsafeMutableBufferPointer { mb in
                    v.withUnsafeMutableBufferPointer { vb in
                        let w = wb.baseAddress!, g = gb.baseAddress!
                        switch s.rule {
                        case .sgd:
                            for i in 0..<count { w[i] -= rate * (g[i] + decay * w[i]) }
                        case .momentum, .nesterov:
                            let mm = mb.baseAddress!, nesterov = s.rule == .nesterov
                            for i in 0..<count {
                                let grad = g[i] + decay * w[i]
                                mm[i] = s.momentum * mm[i] + grad
                                w[i] -= rate * (nesterov ? grad + s.momentum * mm[i] : mm[i])
                            }
                        case .adam, .adamw:
                            let mm = mb.baseAddress!, vv = vb.baseAddress!, decoupled = s.rule == .adamw
                            let step1 = rate / bias1, root2 = 1 / bias2.squareRoot()
                            for i in 0..<count {
                                var grad = g[i]
                                if decoupled { w[i] -= rate * decay * w[i] } else { grad += decay * w[i] }
                                mm[i] = s.beta1 * mm[i] + (1 - s.beta1) * grad
                                vv[i] = s.beta2 * vv[i] + (1 - s.beta2) * grad * grad
                                w[i] -= step1 * mm[i] / (vv[i].squareRoot() * root2 + s.epsilon)
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
