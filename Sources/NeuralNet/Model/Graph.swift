import Tensors

/// A network as cnnfilter runs it: ONNX's graph without the protobuf, so the
/// runtime does not depend on how the model was stored.
public struct Graph: Sendable {
    public var nodes: [Node]
    /// Weights and constants, by value name.
    public var initializers: [String: Tensor]
    /// Inputs the caller provides (initializers excluded), with their declared shapes.
    public var inputs: [ValueInfo]
    public var outputs: [String]
    /// The default-domain operator set version the model was exported for.
    public var opset: Int
    /// The model's metadata_props; cnnfilter's exports keep class names under "labels", one per line.
    public var metadata: [String: String] = [:]
    /// The ONNX element types (1 float, 7 int64, 9 bool, …) the file declares for its initializers and
    /// the outputs of its Constant and ConstantOfShape nodes; the values are Float32 whatever the type
    /// (`integerValues`).
    public var elementTypes: [String: Int] = [:]

    /// Class names from the metadata, if the model carries them.
    public var labels: [String]? {
        metadata["labels"].map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
    }

    public init(nodes: [Node], initializers: [String: Tensor], inputs: [ValueInfo], outputs: [String], opset: Int) {
        self.nodes = nodes; self.initializers = initializers; self.inputs = inputs; self.outputs = outputs; self.opset = opset
    }
}

public struct ValueInfo: Sendable, Equatable {
    public var name: String
    /// Dimensions; nil where the model leaves one symbolic (a batch size, say).
    public var shape: [Int?]
    public init(name: String, shape: [Int?]) { self.name = name; self.shape = shape }
}

public struct Node: Sendable {
    public var name: String
    public var opType: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: Attribute]

    public init(name: String, opType: String, inputs: [String], outputs: [String], attributes: [String: Attribute] = [:]) {
        self.name = name; self.opType = opType; self.inputs = inputs; self.outputs = outputs; self.attributes = attributes
    }

    /// The layer name tools show: the node's name, else its first output's,
    /// with characters outside [A-Za-z0-9._-] replaced by `_`.
    public var displayName: String {
        let raw = name.isEmpty ? (outputs.first ?? opType) : name
        return String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") ? $0 : "_" })
    }

    public func int(_ key: String, default value: Int) -> Int {
        if case .int(let v)? = attributes[key] { return v }
        return value
    }
    public func ints(_ key: String) -> [Int]? {
        if case .ints(let v)? = attributes[key] { return v }
        return nil
    }
    public func float(_ key: String, default value: Float) -> Float {
        if case .float(let v)? = attributes[key] { return v }
        return value
    }
    public func floats(_ key: String) -> [Float]? {
        if case .floats(let v)? = attributes[key] { return v }
        return nil
    }
    public func string(_ key: String, default value: String) -> String {
        if case .string(let v)? = attributes[key] { return v }
        return value
    }
}

public enum Attribute: Sendable {
    case int(Int)
    case ints([Int])
    case float(Float)
    case floats([Float])
    case string(String)
    case tensor(Tensor)
}

/// Why a model cannot be loaded or run, naming the node and operator.
public struct ModelError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    static func node(_ node: Node, _ why: String) -> ModelError {
        ModelError("node '\(node.displayName)' (\(node.opType)): \(why)")
    }
}
