import NeuralNet
import Tensors

/// The text format for networks, one layer per line:
///
///     conv 32 3 pad=same      # filters, kernel (3 or 3x5); stride= pad= dilation= groups= bias=no
///     bn                      # batch normalisation
///     relu                    # or leakyrelu [slope], sigmoid, tanh
///     maxpool 2               # or avgpool; stride= (default the window) pad=
///     globalavgpool           # the mean of each channel
///     dropout 0.3
///     linear 128              # flattens C×H×W first; `linear classes` = one output per class
///     add NAME                # adds the output of the earlier layer NAME (a skip connection)
///     concat NAME             # joins the earlier layer NAME's channels after the current ones
///
/// Any line may end in name=NAME (the layer's name in exports and dumps) and from=NAME (its input is
/// the earlier layer NAME's output instead of the line above's), so a residual block is a few lines.
/// Parsing checks the words; `build` checks the shapes against the data and makes the graph.
public struct Architecture: Sendable {
    public enum PoolKind: Sendable { case max, average }
    public enum ActivationKind: Equatable, Sendable { case relu, leakyRelu(Float), sigmoid, tanh }

    public enum Spec: Sendable {
        case conv(filters: Int, kernel: (Int, Int), stride: Int, pad: Int?, dilation: Int, groups: Int, bias: Bool)
        case pool(PoolKind, size: Int, stride: Int, pad: Int)
        case globalAveragePool
        case activation(ActivationKind)
        case batchNorm, flatten
        case dropout(Float)
        /// nil: one output per class.
        case linear(Int?)
        case standardize(mean: [Float], std: [Float])
        case add(String), concat(String)
    }

    public struct Line: Sendable {
        public var spec: Spec
        public var name: String?
        /// The earlier layer this one reads (nil: the line above).
        public var from: String?
        public var number: Int
        public var text: String
    }

    public var lines: [Line]
    /// Where the text came from, for error messages.
    public var source: String

    /// LeNet-5 as the lecture notes give it (E7) with ReLU and max pooling; C1
    /// pads a 28×28 image by 2, which gives the notes' 28×28×6 as a 32×32 input would.
    public static let lenet5 = """
        # LeNet-5 (lecture notes, E7). C1 pads 28×28 inputs by 2, as if they were 32×32.
        conv 6 5 pad=2 name=C1
        relu name=C1_relu
        maxpool 2 name=S2
        conv 16 5 name=C3
        relu name=C3_relu
        maxpool 2 name=S4
        conv 120 5 name=C5
        relu name=C5_relu
        linear 84 name=F6
        relu name=F6_relu
        linear classes name=output

        """

    public static func named(_ name: String) -> String? { name == "lenet5" ? lenet5 : nil }

    public static func parse(_ text: String, source: String) throws -> Architecture {
        var lines: [Line] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let kind = words.first?.lowercased() else { continue }
            let where_ = "\(source):\(index + 1)"
            var positional: [String] = [], options: [String: String] = [:]
            for word in words.dropFirst() {
                if let eq = word.firstIndex(of: "=") {
                    options[String(word[..<eq]).lowercased()] = String(word[word.index(after: eq)...])
                } else { positional.append(word) }
            }
            var reader = LineReader(location: where_, kind: kind, positional: positional, options: options)
            let spec = try reader.spec()
            let name = reader.options.removeValue(forKey: "name"), from = reader.options.removeValue(forKey: "from")
            if let unknown = reader.options.keys.sorted().first {
                throw TrainingError("\(where_): '\(kind)' has no option '\(unknown)'")
            }
            for case let n? in [name, from] where n.isEmpty ||
                n.contains(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0))) }) {
                throw TrainingError("\(where_): name '\(n)' may only hold letters, digits, '.', '_' and '-'")
            }
            lines.append(Line(spec: spec, name: name, from: from, number: index + 1,
                              text: content.trimmingCharacters(in: .whitespaces)))
        }
        guard !lines.isEmpty else { throw TrainingError("\(source): no layers") }
        return Architecture(lines: lines, source: source)
    }

    /// The network for samples of `input` (C×H×W) and `classes` classes, with weights drawn from
    /// `seed` (uniform in ±1/√fan-in, PyTorch's default). Errors name the line whose shapes do not fit.
    public func build(input: [Int], classes: Int, labels: [String], seed: UInt64) throws -> Network {
        let (graph, text) = try self.graph(input: input, classes: classes, labels: labels, seed: seed)
        return try Network(graph: graph, model: ONNXWriter.model(graph), architecture: text,
                           labels: labels, path: source)
    }

    /// The graph (input "pixels", output "logits", opset 13) and the architecture text with every
    /// layer's name, which builds the same graph again.
    func graph(input: [Int], classes: Int, labels: [String], seed: UInt64) throws -> (Graph, String) {
        var rng = RandomSource(seed: seed, RandomPurpose.weights)
        var g = GraphBuilder(input: input)
        var counts: [String: Int] = [:], texts: [String] = []
        for line in lines {
            let at = "\(source):\(line.number): '\(line.text)'"
            let stem: String
            switch line.spec {
            case .conv: stem = "conv"
            case .pool: stem = "pool"
            case .globalAveragePool: stem = "gap"
            case .activation(let kind): stem = kind.word
            case .batchNorm: stem = "bn"
            case .flatten: stem = "flatten"
            case .dropout: stem = "dropout"
            case .linear: stem = "fc"
            case .standardize: stem = "standardize"
            case .add: stem = "add"
            case .concat: stem = "concat"
            }
            counts[stem, default: 0] += 1
            let name = line.name ?? "\(stem)\(counts[stem]!)"
            guard g.shapes[name] == nil else { throw TrainingError("\(at): the name '\(name)' is used twice") }
            if let from = line.from {
                guard g.shapes[from] != nil, from != GraphBuilder.inputName else {
                    throw TrainingError("\(at): from=\(from) names no earlier layer")
                }
                g.current = from
            }
            do { try g.add(line.spec, name: name, classes: classes, rng: &rng) } catch let error as TrainingError {
                throw TrainingError("\(at): \(error.message)")
            }
            guard g.shape.allSatisfy({ $0 > 0 }) else {
                throw TrainingError("\(at): leaves nothing (\(shapeText(g.shape)))")
            }
            texts.append(line.text.contains("name=") ? line.text : line.text + " name=\(name)")
        }
        guard g.shape.reduce(1, *) == classes else {
            throw TrainingError("\(source): the network ends in \(shapeText(g.shape)) values "
                                + "but the data has \(classes) classes; end it with 'linear classes'")
        }
        let text = texts.joined(separator: "\n") + "\n"
        var graph = g.finish()
        graph.metadata = ["labels": labels.joined(separator: "\n"), "cnnfilter.architecture": text,
                          "input": "N×\(input.map(String.init).joined(separator: "×")) Float32 pixels in [0, 1]"]
        return (graph, text)
    }
}

extension Architecture.ActivationKind {
    /// The word that writes it in the text format.
    var word: String {
        switch self {
        case .relu: return "relu"
        case .leakyRelu: return "leakyrelu"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        }
    }
}

/// Reads one line's numbers and options, with errors that say what was expected.
private struct LineReader {
    let location: String, kind: String, positional: [String]
    var options: [String: String]

    func count(_ i: Int, _ what: String, example: String) throws -> Int {
        guard i < positional.count else { throw TrainingError("\(location): '\(kind)' needs \(what), e.g. '\(example)'") }
        guard let v = Int(positional[i]), v > 0, v <= 65536 else {
            throw TrainingError("\(location): '\(positional[i])' is not \(what) (a whole number from 1 to 65536)")
        }
        return v
    }

    mutating func option(_ key: String, default value: Int, minimum: Int = 1) throws -> Int {
        guard let text = options.removeValue(forKey: key) else { return value }
        guard let v = Int(text), v >= minimum, v <= 4096 else { throw TrainingError("\(location): \(key)=\(text) is not a whole number from \(minimum) to 4096") }
        return v
    }

    func noMore(_ n: Int) throws {
        if positional.count > n { throw TrainingError("\(location): unexpected '\(positional[n])' after '\(kind)'") }
    }

    func fraction(_ text: String, _ what: String, below upper: Float) throws -> Float {
        guard let v = Float(text), v >= 0, v < upper else { throw TrainingError("\(location): \(what) '\(text)' must be at least 0 and below \(upper)") }
        return v
    }

    func floats(_ key: String) throws -> [Float] {
        guard let text = options[key] else { throw TrainingError("\(location): standardize needs \(key)=") }
        let values = text.split(separator: ",").compactMap { Float($0) }
        guard !values.isEmpty, values.count == text.split(separator: ",").count else { throw TrainingError("\(location): \(key)=\(text) is not a list of numbers") }
        return values
    }

    mutating func spec() throws -> Architecture.Spec {
        switch kind {
        case "conv", "conv2d":
            let filters = try count(0, "a filter count", example: "conv 32 3")
            guard positional.count > 1 else { throw TrainingError("\(location): 'conv' needs a kernel size, e.g. 'conv \(filters) 3'") }
            let sizes = positional[1].lowercased().split(separator: "x").map { Int($0) }
            guard sizes.count <= 2, let kh = sizes.first ?? nil, let kw = sizes.last ?? nil, kh > 0, kw > 0, kh <= 255, kw <= 255 else {
                throw TrainingError("\(location): kernel size '\(positional[1])' should be like 3 or 3x5")
            }
            try noMore(2)
            var pad: Int? = 0
            if let p = options["pad"]?.lowercased(), p == "same" { pad = nil; options["pad"] = nil } else { pad = try option("pad", default: 0, minimum: 0) }
            let stride = try option("stride", default: 1), dilation = try option("dilation", default: 1), groups = try option("groups", default: 1)
            var bias = true
            if let b = options.removeValue(forKey: "bias") {
                guard ["no", "yes", "false", "true"].contains(b) else { throw TrainingError("\(location): bias=\(b) should be yes or no") }
                bias = b == "yes" || b == "true"
            }
            return .conv(filters: filters, kernel: (kh, kw), stride: stride, pad: pad, dilation: dilation, groups: groups, bias: bias)
        case "maxpool", "avgpool":
            let size = try count(0, "a window size", example: "\(kind) 2")
            try noMore(1)
            return .pool(kind == "maxpool" ? .max : .average, size: size, stride: try option("stride", default: size), pad: try option("pad", default: 0, minimum: 0))
        case "relu", "sigmoid", "tanh":
            try noMore(0)
            return .activation(kind == "relu" ? .relu : kind == "sigmoid" ? .sigmoid : .tanh)
        case "leakyrelu":
            try noMore(1)
            return .activation(.leakyRelu(positional.isEmpty ? 0.01 : try fraction(positional[0], "slope", below: 1)))
        case "globalavgpool":
            try noMore(0); return .globalAveragePool
        case "add", "concat":
            guard let from = positional.first else {
                throw TrainingError("\(location): '\(kind)' needs the name of an earlier layer")
            }
            try noMore(1)
            return kind == "add" ? .add(from) : .concat(from)
        case "bn", "batchnorm":
            try noMore(0); return .batchNorm
        case "flatten":
            try noMore(0); return .flatten
        case "dropout":
            guard let p = positional.first else { throw TrainingError("\(location): 'dropout' needs a probability, e.g. 'dropout 0.3'") }
            try noMore(1)
            return .dropout(try fraction(p, "dropout probability", below: 1))
        case "linear", "fc", "dense":
            try noMore(1)
            if positional.first?.lowercased() == "classes" { return .linear(nil) }
            return .linear(try count(0, "an output count", example: "linear 128"))
        case "standardize":
            defer { options["mean"] = nil; options["std"] = nil }
            let mean = try floats("mean"), std = try floats("std")
            guard mean.count == std.count, std.allSatisfy({ $0 > 0 }) else { throw TrainingError("\(location): standardize needs as many positive std values as means") }
            return .standardize(mean: mean, std: std)
        default:
            throw TrainingError("\(location): unknown layer '\(kind)' "
                                + "(known: conv, maxpool, avgpool, globalavgpool, relu, leakyrelu, sigmoid, "
                                + "tanh, bn, dropout, flatten, linear, add, concat)")
        }
    }
}

import Foundation
