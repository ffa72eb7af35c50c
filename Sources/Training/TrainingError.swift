/// Why an architecture does not fit its input, a model cannot be trained, or a run cannot go on.
public struct TrainingError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A shape as people write it: 1×28×28.
func shapeText(_ s: [Int]) -> String { s.map(String.init).joined(separator: "×") }
