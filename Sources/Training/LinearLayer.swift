import COpenBLAS
import Tensors

/// A fully connected layer, y = x·Wᵀ + b, with W stored out × in as ONNX's
/// Gemm (transB = 1) and PyTorch's Linear keep it. Any input is flattened per sample.
public final class LinearLayer: Layer {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter, bias: Parameter
    private var input = Tensor(shape: [0])

    init(inFeatures: Int, outFeatures: Int, name: String, rng: inout RandomSource) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures
        weight = .fanIn("\(name).weight", shape: [outFeatures, inFeatures], fanIn: inFeatures, rng: &rng)
        bias = .fanIn("\(name).bias", shape: [outFeatures], fanIn: inFeatures, rng: &rng, decays: false)
    }

    public var description: String { "linear \(outFeatures)" }
    public var parameters: [Parameter] { [weight, bias] }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        let f = input.reduce(1, *)
        guard f == inFeatures else { throw TrainingError("expects \(inFeatures) features, got \(shapeText(input)) = \(f)") }
        return [outFeatures]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let n = x.shape[0]
        var y = Tensor(shape: [n, outFeatures])
        for i in 0..<n { for o in 0..<outFeatures { y.storage[i * outFeatures + o] = bias.value[o] } }
        x.storage.withUnsafeBufferPointer { xs in
            weight.value.withUnsafeBufferPointer { ws in
                y.storage.withUnsafeMutableBufferPointer { ys in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(outFeatures), Int32(inFeatures), 1,
                                xs.baseAddress!, Int32(inFeatures), ws.baseAddress!, Int32(inFeatures), 1, ys.baseAddress!, Int32(outFeatures))
                }
            }
        }
        if training { input = x }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let n = input.shape[0]
        var dx = Tensor(shape: input.shape)
        dy.storage.withUnsafeBufferPointer { ds in
            input.storage.withUnsafeBufferPointer { xs in
                weight.grad.withUnsafeMutableBufferPointer { gw in
                    // dW += dYᵀ · X
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outFeatures), Int32(inFeatures), Int32(n), 1,
                                ds.baseAddress!, Int32(outFeatures), xs.baseAddress!, Int32(inFeatures), 1, gw.baseAddress!, Int32(inFeatures))
                }
            }
            weight.value.withUnsafeBufferPointer { ws in
                dx.storage.withUnsafeMutableBufferPointer { dxs in
                    // dX = dY · W
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(inFeatures), Int32(outFeatures), 1,
                                ds.baseAddress!, Int32(outFeatures), ws.baseAddress!, Int32(inFeatures), 0, dxs.baseAddress!, Int32(inFeatures))
                }
            }
            for i in 0..<n { for o in 0..<outFeatures { bias.grad[o] += ds[i * outFeatures + o] } }
        }
        return dx
    }
}
