import Tensors

/// Which values of a graph hold integers or booleans. Every tensor is stored as Float32, so an operator
/// whose meaning depends on the element type (Div truncates integers, Mod's fmod 0 is for integers only)
/// is told by a mark the loader sets from the types the file declares, propagated through the nodes.
extension Graph {
    /// ONNX element types whose values are whole numbers: (u)int8 to (u)int64 and bool.
    static let integerTypes: Set<Int> = [2, 3, 4, 5, 6, 7, 9, 12, 13]

    /// Operators whose outputs are always integers or booleans.
    static let integerResults: Set<String> = [
        "Shape", "Size", "NonZero", "ArgMax", "ArgMin", "Equal", "Less", "Greater", "LessOrEqual",
        "GreaterOrEqual", "And", "Or", "Xor", "Not",
    ]

    /// Operators whose outputs have the element type of their first input (Where: of its second).
    static let typePreserving: Set<String> = [
        "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice",
        "Gather", "GatherND", "Expand", "Tile", "Pad", "ScatterND", "Range", "Add", "Sub", "Mul", "Div", "Mod",
        "Neg", "Abs", "Max", "Min", "Pow", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "Where", "Einsum",
        "MatMul",
    ]

    /// The values that hold integers or booleans: initializers and constants whose declared type
    /// (`elementTypes`) is one, outputs of Shape and the comparisons, casts to one, and what the
    /// type-preserving operators make of them.
    public var integerValues: Set<String> {
        var integer = Set(elementTypes.filter { Graph.integerTypes.contains($0.value) }.keys)
        // Nodes are in dependency order in valid files; passes until nothing changes cover the others.
        var changed = true
        while changed {
            changed = false
            for n in nodes {
                let source = n.opType == "Where" ? 1 : 0
                let yes: Bool
                if Graph.integerResults.contains(n.opType) {
                    yes = true
                } else if n.opType == "Cast" {
                    yes = Graph.integerTypes.contains(n.int("to", default: 1))
                } else if Graph.typePreserving.contains(n.opType), source < n.inputs.count {
                    yes = integer.contains(n.inputs[source])
                } else {
                    yes = false
                }
                for o in n.outputs where yes && !o.isEmpty && integer.insert(o).inserted { changed = true }
            }
        }
        return integer
    }

    /// Marks the Div and Mod nodes whose operands are integers with `integerArithmetic`.
    mutating func markIntegerArithmetic() {
        let integer = integerValues
        for i in nodes.indices where ["Div", "Mod"].contains(nodes[i].opType) {
            if let a = nodes[i].inputs.first, integer.contains(a) { nodes[i].attributes[integerArithmetic] = .int(1) }
        }
    }
}
