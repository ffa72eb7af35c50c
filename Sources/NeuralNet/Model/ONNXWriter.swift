import Foundation
import SwiftProtobuf
import Tensors

/// Writes graphs as ONNX models: a graph cnnfilter built (every value Float32), or a model it read
/// with some weights replaced (training's export: the trained graph itself, everything else as it was).
public enum ONNXWriter {
    /// The opset the graphs cnnfilter builds are written for.
    public static let opset = 13

    /// A model holding `graph` (Float32 initializers and attribute tensors) with its metadata.
    public static func model(_ graph: Graph) -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = "cnnfilter"
        g.node = graph.nodes.map { n in
            var p = Onnx_NodeProto()
            p.name = n.name; p.opType = n.opType; p.input = n.inputs; p.output = n.outputs
            // The runner's and loader's marks are not ONNX attributes (and the loader would not read them).
            p.attribute = n.attributes.keys.sorted().filter { !$0.hasPrefix(loaderAttributePrefix) }
                .map { attribute($0, n.attributes[$0]!) }
            return p
        }
        g.initializer = graph.initializers.keys.sorted().map { tensor($0, graph.initializers[$0]!) }
        g.input = graph.inputs.map { valueInfo($0.name, $0.shape) }
        g.output = graph.outputs.map { valueInfo($0, nil) }
        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.producerName = "cnnfilter"
        var opsetImport = Onnx_OperatorSetIdProto()
        opsetImport.version = Int64(graph.opset)
        model.opsetImport = [opsetImport]
        model.graph = g
        model.metadataProps = graph.metadata.keys.sorted().map { key in
            var e = Onnx_StringStringEntryProto(); e.key = key; e.value = graph.metadata[key]!; return e
        }
        return model
    }

    /// `model` with the named initializers holding `values` (Float32, stored in the file, so a model whose
    /// weights were beside it in external data comes out whole) and `metadata` merged into its own.
    public static func replacing(_ values: [String: Tensor], metadata: [String: String] = [:],
                                 in model: Onnx_ModelProto) -> Onnx_ModelProto {
        var m = model
        for (i, t) in m.graph.initializer.enumerated() {
            if let v = values[t.name] { m.graph.initializer[i] = tensor(t.name, v) }
        }
        for (key, value) in metadata {
            if let i = m.metadataProps.firstIndex(where: { $0.key == key }) { m.metadataProps[i].value = value } else {
                var e = Onnx_StringStringEntryProto(); e.key = key; e.value = value
                m.metadataProps.append(e)
            }
        }
        return m
    }

    /// The model's protobuf bytes.
    public static func bytes(_ model: Onnx_ModelProto) throws -> [UInt8] { try model.serializedBytes() }

    static func tensor(_ name: String, _ value: Tensor) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name; t.dims = value.shape.map(Int64.init); t.dataType = 1
        t.rawData = value.storage.withUnsafeBytes { Data($0) }
        return t
    }

    static func valueInfo(_ name: String, _ shape: [Int?]?) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = 1
        if let shape {
            t.shape.dim = shape.map { d in
                var dim = Onnx_TensorShapeProto.Dimension()
                if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
                return dim
            }
        }
        v.type.tensorType = t
        return v
    }

    static func attribute(_ name: String, _ value: Attribute) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        switch value {
        case .int(let v): a.type = .int; a.i = Int64(v)
        case .ints(let v): a.type = .ints; a.ints = v.map(Int64.init)
        case .float(let v): a.type = .float; a.f = v
        case .floats(let v): a.type = .floats; a.floats = v
        case .string(let v): a.type = .string; a.s = Data(v.utf8)
        case .tensor(let v): a.type = .tensor; a.t = tensor("", v)
        }
        return a
    }
}
