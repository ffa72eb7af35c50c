import Foundation
import SwiftProtobuf
import Tensors

/// Reads an ONNX model (protobuf, types generated from onnx.proto by
/// scripts/gen-onnx-proto.sh) into a `Graph`, checking what it can before
/// anything runs: sizes against the data present, known element types.
public enum ONNXLoader {
    /// Largest tensor accepted, in elements (4 GiB of Float32).
    static let maxElements = 1 << 30

    public static func load(path: String) throws -> Graph { try loadModel(path: path).graph }

    /// The graph and the protobuf it came from (which `ONNXWriter.replacing` writes back with new weights).
    public static func loadModel(path: String) throws -> (graph: Graph, model: Onnx_ModelProto) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError("\(path): \(FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")")
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try load(bytes: data, source: path, directory: directory.isEmpty ? "." : directory)
    }

    /// A model from its bytes; `source` names it in errors, `directory` holds its external data.
    public static func load(bytes data: Data, source: String,
                            directory: String) throws -> (graph: Graph, model: Onnx_ModelProto) {
        let model: Onnx_ModelProto
        do { model = try Onnx_ModelProto(serializedBytes: data) }
        catch {
            let reason = data.isEmpty ? "empty file" : "the protobuf does not decode: truncated or not a model"
            throw ModelError("\(source): not an ONNX model (\(reason))")
        }
        do { return (try graph(model, directory: directory), model) }
        catch let e as ModelError { throw ModelError("\(source): \(e.message)") }
    }

    static func graph(_ model: Onnx_ModelProto, directory: String) throws -> Graph {
        guard model.hasGraph, !model.graph.node.isEmpty else { throw ModelError("the model has no graph") }
        let opset = Int(model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0)
        guard opset >= 1 else { throw ModelError("the model names no default-domain opset") }
        guard Operators.opsets.contains(opset) else {
            throw ModelError("opset \(opset) is outside the opsets \(Operators.opsets.lowerBound) to "
                             + "\(Operators.opsets.upperBound) that cnnfilter runs")
        }
        // Every operator that cannot run is named before any weight is decoded (or read from external data).
        let named = model.graph.node.map { n in
            let shown = Node(name: n.name, opType: n.opType, inputs: [], outputs: n.output).displayName
            return (op: n.opType, domain: n.domain, node: shown)
        }
        if let why = Operators.unsupported(named, opset: opset) { throw ModelError(why) }
        var initializers: [String: Tensor] = [:], types: [String: Int] = [:]
        for t in model.graph.initializer {
            initializers[t.name] = try tensor(t, directory: directory)
            types[t.name] = Int(t.dataType)
        }
        let inputs = model.graph.input.filter { initializers[$0.name] == nil }.map { info in
            ValueInfo(name: info.name, shape: info.type.tensorType.shape.dim.map { dim -> Int? in if case .dimValue(let v)? = dim.value { return Int(v) } else { return nil } })
        }
        var nodes: [Node] = []
        for n in model.graph.node {
            var attributes: [String: Attribute] = [:]
            // The loader's own marks (integer arithmetic) are not ONNX attributes: one a file carries could change
            // how the model runs, so none is read.
            for a in n.attribute where !a.name.hasPrefix(loaderAttributePrefix) {
                attributes[a.name] = try attribute(a, directory: directory)
            }
            nodes.append(Node(name: n.name, opType: n.opType, inputs: n.input, outputs: n.output, attributes: attributes))
            if ["Constant", "ConstantOfShape"].contains(n.opType), let out = n.output.first {
                types[out] = constantType(n)
            }
        }
        var graph = Graph(nodes: nodes, initializers: initializers, inputs: inputs, outputs: model.graph.output.map(\.name), opset: opset)
        for entry in model.metadataProps { graph.metadata[entry.key] = entry.value }
        graph.elementTypes = types
        graph.markIntegerArithmetic()
        return graph
    }

    /// The element type of a Constant's or ConstantOfShape's value (float when ConstantOfShape has none).
    static func constantType(_ n: Onnx_NodeProto) -> Int {
        for a in n.attribute {
            switch a.name {
            case "value": return Int(a.t.dataType)
            case "value_int", "value_ints": return 7
            case "value_string", "value_strings": return 8
            default: continue
            }
        }
        return 1
    }

    static func attribute(_ a: Onnx_AttributeProto, directory: String) throws -> Attribute {
        switch a.type {
        case .float: return .float(a.f)
        case .int: return .int(Int(a.i))
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .tensor: return .tensor(try tensor(a.t, directory: directory))
        case .floats: return .floats(a.floats)
        case .ints: return .ints(a.ints.map { Int($0) })
        default:
            // Older exporters leave `type` unset: infer it from the field that is filled.
            if !a.ints.isEmpty { return .ints(a.ints.map { Int($0) }) }
            if !a.floats.isEmpty { return .floats(a.floats) }
            if a.hasT { return .tensor(try tensor(a.t, directory: directory)) }
            if a.hasS { return .string(String(decoding: a.s, as: UTF8.self)) }
            if a.hasF { return .float(a.f) }
            return .int(Int(a.i))
        }
    }

    /// A tensor as Float32, from typed fields, raw bytes or an external file.
    static func tensor(_ t: Onnx_TensorProto, directory: String) throws -> Tensor {
        let dims = t.dims.map { Int($0) }
        guard dims.allSatisfy({ $0 >= 0 }) else { throw ModelError("tensor '\(t.name)' has a negative dimension \(dims)") }
        var count = 1
        for d in dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxElements else { throw ModelError("tensor '\(t.name)' is too large (\(dims))") }
            count = p
        }
        var raw = t.rawData
        if t.dataLocation == .external {
            raw = try externalData(t, directory: directory)
        }
        let size: Int
        switch t.dataType {
        case 1, 6, 12: size = 4      // float, int32, uint32
        case 7, 11, 13: size = 8     // int64, double, uint64
        case 10, 5, 4: size = 2      // float16, int16, uint16
        case 2, 3, 9: size = 1       // uint8, int8, bool
        default: throw ModelError("tensor '\(t.name)' has element type \(t.dataType), which cnnfilter cannot read")
        }
        var values: [Float]
        if !raw.isEmpty {
            guard raw.count == count * size else {
                throw ModelError("tensor '\(t.name)' holds \(raw.count) bytes but its shape \(dims) needs \(count * size)")
            }
            values = raw.withUnsafeBytes { b in (0..<count).map { i in decode(b, i * size, type: t.dataType) } }
        } else {
            switch t.dataType {
            case 1: values = t.floatData
            case 11: values = t.doubleData.map { Float($0) }
            case 7: values = t.int64Data.map { Float($0) }
            case 13: values = t.uint64Data.map { Float($0) }
            case 10: values = t.int32Data.map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) }
            default: values = t.int32Data.map { Float($0) }
            }
            guard values.count == count else {
                throw ModelError("tensor '\(t.name)' holds \(values.count) values but its shape \(dims) needs \(count)")
            }
        }
        return Tensor(shape: dims, values: values)
    }

    static func decode(_ b: UnsafeRawBufferPointer, _ o: Int, type: Int32) -> Float {
        switch type {
        case 1: return Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        case 11: return Float(Double(bitPattern: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt64.self))))
        case 10: return Float(Float16(bitPattern: UInt16(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self))))
        case 6: return Float(Int32(littleEndian: b.loadUnaligned(fromByteOffset: o, as: Int32.self)))
        case 12: return Float(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        case 7: return Float(Int64(littleEndian: b.loadUnaligned(fromByteOffset: o, as: Int64.self)))
        case 13: return Float(UInt64(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
        case 5: return Float(Int16(littleEndian: b.loadUnaligned(fromByteOffset: o, as: Int16.self)))
        case 4: return Float(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
        case 3: return Float(b.load(fromByteOffset: o, as: Int8.self))
        default: return Float(b.load(fromByteOffset: o, as: UInt8.self))
        }
    }

    /// Bytes of a tensor stored beside the model (`location`, `offset`, `length`).
    static func externalData(_ t: Onnx_TensorProto, directory: String) throws -> Data {
        var info: [String: String] = [:]
        for e in t.externalData { info[e.key] = e.value }
        guard let location = info["location"], !location.contains(".."), !location.hasPrefix("/") else {
            throw ModelError("tensor '\(t.name)' names no usable external data location")
        }
        let path = directory + "/" + location
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelError("tensor '\(t.name)': external data file '\(path)' is missing")
        }
        defer { try? handle.close() }
        let offset = UInt64(info["offset"].flatMap { Int($0) } ?? 0)
        try handle.seek(toOffset: offset)
        let data = info["length"].flatMap { Int($0) }.map { handle.readData(ofLength: $0) } ?? handle.readDataToEndOfFile()
        return data
    }
}
