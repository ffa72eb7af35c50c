import XCTest
import Tensors
@testable import Training

/// Every backward pass against central finite differences of the forward pass
/// (an independent reference: only `forward` is trusted, and only through the
/// loss L = Σ r·y for a fixed random r).
final class GradientCheckTests: XCTestCase {
    func random(_ shape: [Int], _ rng: inout RandomSource, scale: Float = 1) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-scale, scale) })
    }

    func loss(_ layer: Layer, _ x: Tensor, _ r: Tensor) -> Double {
        let y = layer.forward(x, training: true)
        return zip(y.storage, r.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Compares dInput and every parameter's gradient with differences of step h.
    func check(_ layer: Layer, input shape: [Int], file: StaticString = #filePath, line: UInt = #line,
               h: Float = 1e-2, tolerance: Double = 1e-2, distinct: Bool = false) throws {
        var rng = RandomSource(seed: 7)
        var x = random(shape, &rng)
        if distinct {
            // Values 0.02 apart, shuffled: no two within a difference step of each other, so max is differentiable.
            var values = (0..<x.count).map { Float($0) * 0.02 - 1 }
            values.shuffle(using: &rng)
            x = Tensor(shape: shape, values: values)
        }
        let outShape = [shape[0]] + (try layer.outputShape(Array(shape.dropFirst())))
        let r = random(outShape, &rng)
        let y = layer.forward(x, training: true)
        XCTAssertEqual(y.shape, outShape, file: file, line: line)
        for p in layer.parameters where p.trainable { p.zeroGrad() }
        let dx = layer.backward(r)
        let analytic = layer.parameters.filter(\.trainable).map { $0.grad }
        func compare(_ a: Float, _ numeric: Double, _ what: String) {
            let err = abs(Double(a) - numeric) / max(1, abs(numeric))
            XCTAssertLessThan(err, tolerance, "\(layer.description) \(what): analytic \(a) numeric \(numeric)", file: file, line: line)
        }
        for i in 0..<x.count {
            let keep = x.storage[i]
            x.storage[i] = keep + h; let up = loss(layer, x, r)
            x.storage[i] = keep - h; let down = loss(layer, x, r)
            x.storage[i] = keep
            compare(dx.storage[i], (up - down) / Double(2 * h), "dInput[\(i)]")
        }
        for (p, grad) in zip(layer.parameters.filter(\.trainable), analytic) {
            for i in 0..<p.count {
                let keep = p.value[i]
                p.value[i] = keep + h; let up = loss(layer, x, r)
                p.value[i] = keep - h; let down = loss(layer, x, r)
                p.value[i] = keep
                compare(grad[i], (up - down) / Double(2 * h), "\(p.name)[\(i)]")
            }
        }
    }

    func testConvolutionGradients() throws {
        var rng = RandomSource(seed: 1)
        try check(ConvLayer(inChannels: 2, outChannels: 3, kernel: (3, 3), name: "c", rng: &rng), input: [2, 2, 6, 5])
        try check(ConvLayer(inChannels: 2, outChannels: 3, kernel: (3, 2), stride: 2, padding: 1, name: "c", rng: &rng), input: [2, 2, 7, 6])
        try check(ConvLayer(inChannels: 1, outChannels: 2, kernel: (3, 3), padding: 2, dilation: 2, name: "c", rng: &rng), input: [1, 1, 6, 6])
        try check(ConvLayer(inChannels: 4, outChannels: 6, kernel: (3, 3), padding: 1, groups: 2, name: "c", rng: &rng), input: [2, 4, 5, 5])
        try check(ConvLayer(inChannels: 3, outChannels: 3, kernel: (3, 3), stride: 2, padding: 1, groups: 3, bias: false, name: "c", rng: &rng), input: [1, 3, 6, 6])
        // One output pixel per filter (LeNet's C5): the whole-chunk path.
        try check(ConvLayer(inChannels: 2, outChannels: 4, kernel: (3, 3), name: "c", rng: &rng), input: [5, 2, 3, 3])
        try check(ConvLayer(inChannels: 2, outChannels: 4, kernel: (3, 3), padding: 1, name: "c", rng: &rng), input: [3, 2, 1, 1])
    }

    func testLinearGradients() throws {
        var rng = RandomSource(seed: 2)
        try check(LinearLayer(inFeatures: 12, outFeatures: 5, name: "f", rng: &rng), input: [3, 3, 2, 2])
    }

    func testPoolingGradients() throws {
        try check(PoolLayer(.max, size: 2, stride: 2, padding: 0), input: [2, 2, 6, 6], h: 1e-3, distinct: true)
        try check(PoolLayer(.max, size: 3, stride: 2, padding: 1), input: [1, 2, 7, 7], h: 1e-3, distinct: true)
        try check(PoolLayer(.average, size: 2, stride: 2, padding: 0), input: [2, 2, 5, 5])
        try check(PoolLayer(.average, size: 3, stride: 1, padding: 1), input: [1, 1, 4, 4])
    }

    func testActivationGradients() throws {
        for kind in [ActivationLayer.Kind.relu, .leakyRelu(0.1), .sigmoid, .tanh] {
            try check(ActivationLayer(kind), input: [2, 3, 4], h: 1e-3)
        }
    }

    func testBatchNormGradients() throws {
        let spatial = BatchNormLayer(channels: 3, name: "bn")
        spatial.scale.value = [0.5, 1.5, -1]; spatial.shift.value = [0.1, 0, -0.2]
        try check(spatial, input: [3, 3, 2, 3], h: 1e-2, tolerance: 2e-2)
        try check(BatchNormLayer(channels: 4, name: "bn"), input: [5, 4], h: 1e-2, tolerance: 2e-2)
    }

    func testStandardizeAndFlattenGradients() throws {
        try check(StandardizeLayer(mean: [0.5, 0.2], std: [0.25, 2]), input: [2, 2, 3, 3])
        try check(FlattenLayer(), input: [2, 2, 2, 3])
    }

    /// Dropout's mask is fixed by the seed, so forward twice with one reseed each is the same function.
    func testDropoutScalesSurvivorsAndGradients() throws {
        let layer = DropoutLayer(probability: 0.5)
        layer.reseed(RandomSource(seed: 3))
        let x = Tensor(shape: [1, 1000], repeating: 1)
        let y = layer.forward(x, training: true)
        let kept = y.storage.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { $0 == 2 })
        XCTAssertEqual(Double(kept.count), 500, accuracy: 60)
        let dx = layer.backward(Tensor(shape: [1, 1000], repeating: 1))
        XCTAssertEqual(dx.storage, y.storage)
        XCTAssertEqual(layer.forward(x, training: false).storage, x.storage)
    }

    /// Cross-entropy's gradient against differences of its loss.
    func testCrossEntropyGradient() {
        var rng = RandomSource(seed: 4)
        var logits = random([3, 4], &rng, scale: 3)
        let labels = [2, 0, 3]
        let result = CrossEntropy.evaluate(logits: logits, labels: labels)
        // Hand-checked value for one row: −log softmax.
        let row = Array(logits.storage[0..<4]).map(Double.init)
        let lse = log(row.map { exp($0) }.reduce(0, +))
        let rows = (0..<3).map { i -> Double in
            let r = Array(logits.storage[(i * 4)..<(i * 4 + 4)]).map(Double.init)
            return log(r.map { exp($0) }.reduce(0, +)) - r[labels[i]]
        }
        XCTAssertEqual(Double(result.loss), rows.reduce(0, +) / 3, accuracy: 1e-5)
        XCTAssertEqual(rows[0], lse - row[2], accuracy: 1e-9)
        for i in 0..<logits.count {
            let keep = logits.storage[i]
            logits.storage[i] = keep + 1e-2; let up = Double(CrossEntropy.evaluate(logits: logits, labels: labels).loss)
            logits.storage[i] = keep - 1e-2; let down = Double(CrossEntropy.evaluate(logits: logits, labels: labels).loss)
            logits.storage[i] = keep
            XCTAssertEqual(Double(result.gradient.storage[i]), (up - down) / 2e-2, accuracy: 1e-3)
        }
    }
}
