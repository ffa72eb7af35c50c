import Kernels
import NeuralNet
import Tensors

/// Classic kernels as a one-layer CNN: each 2-D kernel becomes one filter of
/// a convolution over the grey image (smaller kernels centred in the largest,
/// zero around them, which leaves their results unchanged), so
/// dump-activations shows "the image convolved with these filters".
public enum KernelBankModel {
    public static func graph(kernels: [KernelFile], height: Int, width: Int) throws -> Graph {
        guard !kernels.isEmpty else { throw ModelError("no kernels given") }
        if kernels.contains(where: { !$0.isPlain }) { return try bank(kernels: kernels, height: height, width: width) }
        let kh = kernels.map(\.height).max()!, kw = kernels.map(\.width).max()!
        var w = Tensor(shape: [kernels.count, 1, kh, kw])
        for (i, k) in kernels.enumerated() {
            let oy = (kh - k.height) / 2, ox = (kw - k.width) / 2
            for (y, row) in k.matrix.enumerated() { for (x, v) in row.enumerated() {
                w.storage[(i * kh + oy + y) * kw + ox + x] = v
            } }
        }
        let conv = Node(name: "filters", opType: "Conv", inputs: ["image", "W"], outputs: ["filters"],
                        attributes: ["auto_pad": .string("SAME_UPPER")])
        return Graph(nodes: [conv], initializers: ["W": w],
                     inputs: [ValueInfo(name: "image", shape: [1, 1, height, width])], outputs: ["filters"], opset: 13)
    }

    /// 3-D filters and banks as one layer over the photo's channels, without padding: every filter of
    /// every kernel is one output channel (its biases kept); all span the same channels and have one size.
    static func bank(kernels: [KernelFile], height: Int, width: Int) throws -> Graph {
        let d = kernels[0].depth, kh = kernels[0].height, kw = kernels[0].width
        for k in kernels where k.depth != d || k.height != kh || k.width != kw {
            throw ModelError("'\(k.name)' is \(k.height)×\(k.width)×\(k.depth) but '\(kernels[0].name)' is "
                             + "\(kh)×\(kw)×\(d); a layer's filters share one size and channel count")
        }
        let filters = kernels.flatMap(\.filters)
        let w = Tensor(shape: [filters.count, d, kh, kw],
                       values: filters.flatMap { $0.slices.flatMap { $0.flatMap { $0 } } })
        let b = Tensor(shape: [filters.count], values: filters.map(\.bias))
        // No padding, as the notes' layer: a 5×5×3 filter on a 32×32×3 image gives a 28×28 map.
        let conv = Node(name: "filters", opType: "Conv", inputs: ["image", "W", "B"], outputs: ["filters"])
        return Graph(nodes: [conv], initializers: ["W": w, "B": b],
                     inputs: [ValueInfo(name: "image", shape: [1, d, height, width])],
                     outputs: ["filters"], opset: 13)
    }
}
