import Foundation
import ImageCodecs
import NeuralNet
import SwiftProtobuf

/// Writes a trained network as an ONNX model (opset 13) that takes N×C×H×W
/// Float32 pixels in [0, 1] — standardisation is part of the graph — and
/// gives logits named "logits". Dropout is left out (it is the identity at
/// inference). Class names go into metadata_props["labels"], one per line.
public enum ModelExport {
    public static let opset: Int64 = 13

    public static func onnx(_ network: Network) -> Onnx_ModelProto {
        var graph = Onnx_GraphProto()
        graph.name = "cnnfilter"
        var current = "pixels", rank = network.inputShape.count + 1
        func node(_ op: String, _ name: String, _ inputs: [String], _ attributes: [Onnx_AttributeProto] = [], output: String? = nil) {
            var n = Onnx_NodeProto()
            n.opType = op; n.name = name; n.input = inputs; n.output = [output ?? name]; n.attribute = attributes
            graph.node.append(n)
            current = n.output[0]
        }
        func weight(_ name: String, _ shape: [Int], _ values: [Float]) -> String {
            var t = Onnx_TensorProto()
            t.name = name; t.dims = shape.map(Int64.init); t.dataType = 1
            t.rawData = values.withUnsafeBytes { Data($0) }
            graph.initializer.append(t)
            return name
        }
        let last = network.layers.lastIndex { !($0 is DropoutLayer) } ?? 0
        for (index, (layer, name)) in zip(network.layers, network.names).enumerated() {
            let output = index == last ? "logits" : nil
            switch layer {
            case let s as StandardizeLayer:
                let shape = [1, s.mean.count, 1, 1]
                node("Sub", name + "_centre", [current, weight(name + ".mean", shape, s.mean)])
                node("Div", name, [current, weight(name + ".std", shape, s.std)], output: output)
            case let c as ConvLayer:
                var inputs = [current, weight(c.weight.name, c.weight.shape, c.weight.value)]
                if let b = c.bias { inputs.append(weight(b.name, b.shape, b.value)) }
                node("Conv", name, inputs, [ints("kernel_shape", [c.kernelHeight, c.kernelWidth]), ints("strides", [c.stride, c.stride]),
                                             ints("pads", [c.padding, c.padding, c.padding, c.padding]),
                                             ints("dilations", [c.dilation, c.dilation]), int("group", c.groups)], output: output)
            case let b as BatchNormLayer:
                node("BatchNormalization", name, [current] + [b.scale, b.shift, b.runningMean, b.runningVariance].map { weight($0.name, $0.shape, $0.value) },
                     [float("epsilon", b.epsilon), float("momentum", 1 - b.momentum)], output: output)
            case let a as ActivationLayer:
                switch a.kind {
                case .relu: node("Relu", name, [current], output: output)
                case .leakyRelu(let slope): node("LeakyRelu", name, [current], [float("alpha", slope)], output: output)
                case .sigmoid: node("Sigmoid", name, [current], output: output)
                case .tanh: node("Tanh", name, [current], output: output)
                }
            case let p as PoolLayer:
                var attributes = [ints("kernel_shape", [p.size, p.size]), ints("strides", [p.stride, p.stride]),
                                  ints("pads", [p.padding, p.padding, p.padding, p.padding])]
                if p.kind == .average { attributes.append(int("count_include_pad", 1)) }
                node(p.kind == .max ? "MaxPool" : "AveragePool", name, [current], attributes, output: output)
            case is FlattenLayer:
                node("Flatten", name, [current], [int("axis", 1)], output: output); rank = 2
            case let l as LinearLayer:
                if rank > 2 { node("Flatten", name + "_flatten", [current], [int("axis", 1)]); rank = 2 }
                node("Gemm", name, [current, weight(l.weight.name, l.weight.shape, l.weight.value), weight(l.bias.name, l.bias.shape, l.bias.value)],
                     [int("transB", 1)], output: output)
            default: // dropout: the identity at inference
                continue
            }
        }
        graph.input = [valueInfo("pixels", [nil] + network.inputShape)]
        graph.output = [valueInfo("logits", [nil, network.classes])]
        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.producerName = "cnnfilter"
        var opsetImport = Onnx_OperatorSetIdProto(); opsetImport.version = opset
        model.opsetImport = [opsetImport]
        model.graph = graph
        model.metadataProps = [entry("labels", network.labels.joined(separator: "\n")),
                               entry("cnnfilter.architecture", network.architecture),
                               entry("input", "N×\(network.inputShape.map(String.init).joined(separator: "×")) Float32 pixels in [0, 1]")]
        return model
    }

    public static func write(_ network: Network, to path: String) throws {
        let bytes: [UInt8] = try onnx(network).serializedBytes()
        try OutputFile.write(path, bytes: bytes)
    }

    static func valueInfo(_ name: String, _ shape: [Int?]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = 1
        t.shape.dim = shape.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
            return dim
        }
        v.type.tensorType = t
        return v
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = values.map(Int64.init); return a
    }
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = Int64(value); return a
    }
    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .float; a.f = value; return a
    }
    static func entry(_ key: String, _ value: String) -> Onnx_StringStringEntryProto {
        var e = Onnx_StringStringEntryProto(); e.key = key; e.value = value; return e
    }
}
