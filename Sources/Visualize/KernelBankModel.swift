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
        for k in kernels where !k.isPlain { throw ModelError("'\(k.name)' is a filter bank; give 2-D kernels") }
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
        return Graph(nodes: [conv], initializers: ["W": w], inputs: [ValueInfo(name: "image", shape: [1, 1, height, width])],
                     outputs: ["filters"], opset: 13)
    }
}
