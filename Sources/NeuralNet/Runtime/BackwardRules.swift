/// Which gradient each operator passes back in `Backpropagation.backward`: its derivative (`exact`),
/// or, for attributions that are not gradients, a replacement rule for some operators.
public struct BackwardRules {
    /// Replacement rules by operator type; the others keep their derivative.
    let replaced: [String: GradientRule]

    /// Every operator's derivative: the true gradient.
    public static let exact = BackwardRules(replaced: [:])

    /// Guided backpropagation: each Relu passes back only positive gradients where its input was positive
    /// (`ElementwiseOps.guidedRelu`); every other operator, Clip (ReLU6) included, its derivative.
    public static let guided = BackwardRules(replaced: ["Relu": ElementwiseOps.guidedRelu])
}
