import FilterPipeline
import Foundation
import ImageCodecs
import NeuralNet
import Tensors

/// How `predict` writes its answers: text for people, JSON Lines or CSV for programs.
public enum PredictionFormat: String, Sendable {
    case text, json, csv
}

/// Each input's answer as text: its top classes with their names and probabilities.
///
/// - text: the path, then one line per class (`  1   93.12%  class 3  Dress`); `bare` leaves out
///   the path and the indent, as `predict` prints a single photo's answer.
/// - json: one object per line, `{"path":"a.jpg","top":[{"class":3,"name":"Dress","probability":0.93}]}`
///   (`name` null without class names); an input that failed is `{"path":"a.jpg","error":"…"}`.
/// - csv: a header, then one row per input, `path,class_1,name_1,probability_1,…` (RFC 4180 quoting);
///   inputs that failed have no row.
///
/// Probabilities are written as the shortest decimal that reads back as the same Float32.
public struct PredictionLines: Sendable {
    public var format: PredictionFormat
    public var top: Int
    /// Class names; nil for none ("class N" in text, null in JSON, empty in CSV).
    public var labels: [String]?
    /// Where the names came from, for errors (a file, or "imagenet").
    public var labelSource: String?
    public var bare = false

    public init(format: PredictionFormat, top: Int, labels: [String]? = nil, labelSource: String? = nil) {
        self.format = format
        self.top = max(1, top)
        self.labels = labels
        self.labelSource = labelSource
    }

    /// The first line of a new output: CSV's header.
    public var header: String? {
        guard format == .csv else { return nil }
        return (["path"] + (1...top).flatMap { ["class_\($0)", "name_\($0)", "probability_\($0)"] })
            .joined(separator: ",") + "\n"
    }

    /// One input's answer from the model's output for it, ending in a newline. The labels given must
    /// be one per class (an error otherwise, the same for every input); a model's own names are used
    /// when they fit.
    public func lines(path: String, output: Tensor, modelLabels: [String]?) throws -> String {
        guard let scores = Prediction(output: output, labels: nil) else {
            let shape = output.shape.map(String.init).joined(separator: "×")
            throw ModelError("the model's output \(shape) is not one vector of class scores per input")
        }
        let classes = scores.scores.count
        if let labels, labels.count != classes {
            throw ModelError("\(labelSource ?? "--labels"): \(labels.count) labels for \(classes) classes")
        }
        let names = labels ?? modelLabels.flatMap { $0.count == classes ? $0 : nil }
        let p = Prediction(output: output, labels: names)!
        let best = p.ranking.prefix(top)
        let named = names != nil
        switch format {
        case .text:
            let rows = best.enumerated().map { rank, i in
                String(format: "%d  %6.2f%%  class %d", rank + 1, Double(p.probabilities[i]) * 100, i)
                    + (named ? "  \(p.names[i])" : "")
            }
            if bare { return rows.map { $0 + "\n" }.joined() }
            return path + "\n" + rows.map { "  " + $0 + "\n" }.joined()
        case .json:
            let classes = best.map { i in
                "{\"class\":\(i),\"name\":\(named ? Self.json(p.names[i]) : "null"),"
                    + "\"probability\":\(Self.number(p.probabilities[i]))}"
            }
            return "{\"path\":\(Self.json(path)),\"top\":[\(classes.joined(separator: ","))]}\n"
        case .csv:
            var fields = [Self.csv(path)]
            for k in 0..<top {
                guard k < best.count else { fields += ["", "", ""]; continue }
                let i = best[best.startIndex + k]
                fields += ["\(i)", named ? Self.csv(p.names[i]) : "", Self.number(p.probabilities[i])]
            }
            return fields.joined(separator: ",") + "\n"
        }
    }

    /// An input that failed: a JSON object with the error; nothing in the other formats (the
    /// error goes to stderr and the summary).
    public func failure(path: String, error: String) -> String {
        format == .json ? "{\"path\":\(Self.json(path)),\"error\":\(Self.json(error))}\n" : ""
    }

    /// What an earlier run's output already answers (--skip-existing): the inputs with an answer
    /// (failures are tried again) by `BatchInputs.key`, and the length of its whole lines, after
    /// which a run killed while writing may have left part of one.
    public func answered(_ bytes: [UInt8], file: String) throws -> (inputs: Set<String>, length: Int) {
        switch format {
        case .text:
            throw CodecError(file, "--skip-existing reads the answers back: give --json or --csv")
        case .json:
            var inputs = Set<String>()
            let length = (bytes.lastIndex(of: 10) ?? -1) + 1
            for (n, line) in bytes[..<length].split(separator: 10).enumerated() {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                      let path = object["path"] as? String else {
                    throw CodecError(file, "line \(n + 1) is not an answer of 'predict --json'; "
                                     + "give another -o or leave out --skip-existing")
                }
                if object["top"] != nil { inputs.insert(BatchInputs.key(path)) }
            }
            return (inputs, length)
        case .csv:
            let (records, length) = Self.csvRecords(bytes)
            guard !records.isEmpty else { return ([], 0) }
            let want = Self.csvRecords(Array(header!.utf8)).records[0]
            guard records[0] == want else {
                throw CodecError(file, "its header is not this run's (\(want.joined(separator: ","))); "
                                 + "give another -o or leave out --skip-existing")
            }
            return (Set(records.dropFirst().compactMap { $0.first.map(BatchInputs.key) }), length)
        }
    }

    static func number(_ p: Float) -> String { p.isFinite ? "\(p)" : "null" }

    /// A JSON string (RFC 8259): quotes, backslashes and control characters escaped.
    static func json(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
    static func csv(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The whole records of CSV text (a record ends at a line break outside quotes) and their length.
    static func csvRecords(_ bytes: [UInt8]) -> (records: [[String]], length: Int) {
        var records: [[String]] = [], record: [String] = [], field: [UInt8] = []
        var quoted = false, length = 0, i = 0
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == 34 && i + 1 < bytes.count && bytes[i + 1] == 34 { field.append(34); i += 1 }
                else if b == 34 { quoted = false }
                else { field.append(b) }
            } else if b == 34 {
                quoted = true
            } else if b == 44 {
                record.append(String(decoding: field, as: UTF8.self)); field = []
            } else if b == 10 {
                if field.last == 13 { field.removeLast() }
                record.append(String(decoding: field, as: UTF8.self)); field = []
                records.append(record); record = []
                length = i + 1
            } else {
                field.append(b)
            }
            i += 1
        }
        return (records, length)
    }
}
