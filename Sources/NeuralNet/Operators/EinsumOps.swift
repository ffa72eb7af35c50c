import Tensors

/// Einsum for the equations exporters write: one operand permuted, or two operands contracted as a
/// batched matrix product (attention's "bhid,bhjd->bhij" and "bhij,bhjd->bhid"). Any other equation
/// (ellipses, repeated labels, sums over one operand, three operands) is an error naming it.
enum EinsumOps {
    static let table: [String: Operator] = ["Einsum": einsum]

    /// The labels of each operand and of the output.
    struct Equation {
        var operands: [[Character]]
        var output: [Character]
    }

    static func einsum(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let text = node.string("equation", default: "")
        let operands = try (0..<inputs.count).map { try required(inputs, $0, node) }
        func refuse(_ why: String) -> ModelError { ModelError.node(node, "equation '\(text)': \(why)") }
        let eq = try parse(text, operands: operands.count, refuse)
        var size: [Character: Int] = [:]
        for (labels, t) in zip(eq.operands, operands) {
            guard labels.count == t.rank else {
                throw refuse("\(labels.count) labels for an operand of shape \(t.shape)")
            }
            for (l, d) in zip(labels, t.shape) {
                if let known = size[l], known != d { throw refuse("label '\(l)' is both \(known) and \(d) long") }
                size[l] = d
            }
        }
        switch operands.count {
        case 1:
            guard eq.output.sorted() == eq.operands[0].sorted() else {
                throw refuse("only a permutation of one operand is implemented")
            }
            return [ShapeOps.transpose(operands[0], eq.output.map { eq.operands[0].firstIndex(of: $0)! })]
        case 2:
            return [try contract(operands[0], operands[1], eq, size: size, node: node, refuse)]
        default:
            throw refuse("\(operands.count) operands (one or two are implemented)")
        }
    }

    /// Labels split by where they appear: in both operands and the output (a batch), in one operand and
    /// the output (rows of A, columns of B), in both operands only (summed). A is arranged as
    /// batch × rows × summed and B as batch × summed × columns, multiplied by MatMul, and the product
    /// put in the output's order.
    static func contract(_ a: Tensor, _ b: Tensor, _ eq: Equation, size: [Character: Int], node: Node,
                         _ refuse: (String) -> ModelError) throws -> Tensor {
        let la = eq.operands[0], lb = eq.operands[1], out = eq.output
        for l in la + lb where !out.contains(l) && !(la.contains(l) && lb.contains(l)) {
            throw refuse("label '\(l)' is summed over one operand only, which is not implemented")
        }
        let batch = out.filter { la.contains($0) && lb.contains($0) }
        let rows = out.filter { la.contains($0) && !lb.contains($0) }
        let columns = out.filter { lb.contains($0) && !la.contains($0) }
        let summed = la.filter { lb.contains($0) && !out.contains($0) }
        func count(_ labels: [Character]) -> Int { labels.map { size[$0]! }.reduce(1, *) }
        func arranged(_ t: Tensor, _ labels: [Character], _ order: [Character]) -> Tensor {
            labels == order ? t : ShapeOps.transpose(t, order.map { labels.firstIndex(of: $0)! })
        }
        let nb = count(batch), m = count(rows), k = count(summed), n = count(columns)
        let left = arranged(a, la, batch + rows + summed).reshaped([nb, m, k])
        let right = arranged(b, lb, batch + summed + columns).reshaped([nb, k, n])
        let product = try LinearOps.matmul(node, [left, right], 13)[0]
        let made = batch + rows + columns
        let shaped = product.reshaped(made.map { size[$0]! })
        return arranged(shaped, made, out)
    }

    /// Reads "ab,bc->ac" (spaces ignored). Without "->" the output is the labels that appear once, in
    /// alphabetical order (refused when upper and lower case mix: NumPy and onnxruntime order them
    /// differently).
    static func parse(_ text: String, operands: Int, _ refuse: (String) -> ModelError) throws -> Equation {
        let compact = text.filter { !$0.isWhitespace }
        guard !compact.contains(".") else { throw refuse("ellipses ('...') are not implemented") }
        let sides = compact.components(separatedBy: "->")
        guard sides.count <= 2, !compact.isEmpty else { throw refuse("not an equation") }
        let terms = sides[0].split(separator: ",", omittingEmptySubsequences: false).map(Array.init)
        guard terms.count == operands else { throw refuse("\(terms.count) terms for \(operands) operands") }
        let all = terms.flatMap { $0 } + (sides.count == 2 ? Array(sides[1]) : [])
        guard all.allSatisfy({ $0.isASCII && $0.isLetter }) else { throw refuse("labels must be letters") }
        for t in terms where Set(t).count != t.count {
            throw refuse("a label repeated within an operand (a diagonal) is not implemented")
        }
        let output: [Character]
        if sides.count == 2 {
            output = Array(sides[1])
        } else {
            let once = Set(terms.flatMap { $0 }.filter { l in terms.flatMap { $0 }.filter { $0 == l }.count == 1 })
            guard once.allSatisfy(\.isLowercase) || once.allSatisfy(\.isUppercase) else {
                throw refuse("an implicit output with upper and lower case labels has no agreed order")
            }
            output = once.sorted()
        }
        guard Set(output).count == output.count else { throw refuse("the output repeats a label") }
        for l in output where !terms.contains(where: { $0.contains(l) }) {
            throw refuse("output label '\(l)' is in no operand")
        }
        return Equation(operands: terms, output: output)
    }

    // MARK: Backward

    static let gradients: [String: GradientRule] = ["Einsum": GradientRule(einsumBackward)]

    /// One operand: dY permuted back. Two: each operand's gradient is itself a contraction,
    /// dA = einsum(out, b -> a) of dY and B, and dB = einsum(a, out -> b) of A and dY.
    static func einsumBackward(_ c: BackwardContext) throws -> [Tensor?] {
        let text = c.node.string("equation", default: "")
        let operands = try (0..<c.inputs.count).map { try c.input($0) }
        func refuse(_ why: String) -> ModelError { ModelError.node(c.node, "equation '\(text)': \(why)") }
        let eq = try parse(text, operands: operands.count, refuse), g = c.gradient()
        var size: [Character: Int] = [:]
        for (labels, t) in zip(eq.operands, operands) { for (l, d) in zip(labels, t.shape) { size[l] = d } }
        if operands.count == 1 {
            return [ShapeOps.transpose(g, eq.operands[0].map { eq.output.firstIndex(of: $0)! })]
        }
        let la = eq.operands[0], lb = eq.operands[1], out = eq.output
        return [c.wants(0) ? try contract(g, operands[1], Equation(operands: [out, lb], output: la), size: size,
                                          node: c.node, refuse) : nil,
                c.wants(1) ? try contract(operands[0], g, Equation(operands: [la, out], output: lb), size: size,
                                          node: c.node, refuse) : nil]
    }
}
