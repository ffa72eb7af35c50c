import Convolution
import Tensors

/// Conv runs on the same engine as the image filter: each batch item is a
/// C×H×W image through a `Conv2D` bank with the node's groups, strides,
/// dilations and zero padding.
enum ConvOps {
    static let table: [String: Operator] = ["Conv": conv]

    static func conv(_ node: Node, _ inputs: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(inputs, 0, node), w = try required(inputs, 1, node)
        let (n, c, h, wd) = try nchw(x, node)
        guard w.rank == 4 else { throw ModelError.node(node, "only 2-D convolutions are supported (weight shape \(w.shape))") }
        let m = w.shape[0], kh = w.shape[2], kw = w.shape[3]
        let group = node.int("group", default: 1)
        guard group >= 1, c % group == 0, m % group == 0, w.shape[1] == c / group else {
            throw ModelError.node(node, "weight shape \(w.shape) does not fit \(c) input channels in \(group) groups")
        }
        let bias = optional(inputs, 2)
        if let bias, bias.count != m { throw ModelError.node(node, "bias has \(bias.count) values for \(m) filters") }
        var conv = Conv2D(bank: w.storage, filters: m, inputChannels: c, height: kh, width: kw, bias: bias?.storage, groups: group)
        let strides = node.ints("strides") ?? [1, 1], dilations = node.ints("dilations") ?? [1, 1]
        guard strides.count == 2, dilations.count == 2 else { throw ModelError.node(node, "strides and dilations need 2 values") }
        conv.strideY = strides[0]; conv.strideX = strides[1]
        conv.dilationY = dilations[0]; conv.dilationX = dilations[1]
        conv.border = .zero
        conv.exactStride = false // ONNX floors
        conv.allowSeparable = false
        conv.padding = try padding(node)
        let plan: PipelinePlan
        do { plan = try Pipeline([conv]).plan(for: Shape3(channels: c, height: h, width: wd)) }
        catch { throw ModelError.node(node, "\(error)") }
        return [try perItem(x, n: n, plan: plan)]
    }

    /// ONNX's auto_pad and pads ([top, left, bottom, right] for 2-D).
    static func padding(_ node: Node) throws -> PaddingSpec {
        switch node.string("auto_pad", default: "NOTSET") {
        case "SAME_UPPER": return .same
        case "SAME_LOWER": return .sameLower
        case "VALID": return .valid
        default:
            let p = node.ints("pads") ?? [0, 0, 0, 0]
            guard p.count == 4 else { throw ModelError.node(node, "pads needs 4 values for a 2-D convolution, got \(p)") }
            return .explicit(Padding(top: p[0], bottom: p[2], left: p[1], right: p[3]))
        }
    }

    /// Runs a planned C×H×W pipeline on each item of an N×C×H×W batch.
    static func perItem(_ x: Tensor, n: Int, plan: PipelinePlan) throws -> Tensor {
        let inCount = plan.input.count, outCount = plan.output.count
        var out = Tensor(shape: [n, plan.output.channels, plan.output.height, plan.output.width])
        for i in 0..<n {
            let item = Tensor(shape: [plan.input.channels, plan.input.height, plan.input.width],
                              values: Array(x.storage[(i * inCount)..<((i + 1) * inCount)]))
            let y = plan.apply(item)
            out.storage.replaceSubrange((i * outCount)..<((i + 1) * outCount), with: y.storage)
        }
        return out
    }
}
