import Convolution
import Dispatch
import Foundation
import Kernels

/// Times the convolution engine alone, in memory: a synthetic W×H×C Float32
/// image through one kernel, against a copy of the same bytes in the same run.
public struct EngineBenchmark {
    public struct Result: Sendable {
        public var kernel: String
        public var kh, kw, width, height, channels: Int
        public var separable: Bool
        public var ms: Double
        public var copyMs: Double
        public var megapixelsPerSecond: Double { Double(width * height) / (ms * 1000) }

        /// One JSON object, keys in a fixed order.
        public var json: String {
            func f(_ v: Double) -> String { String(format: "%.3f", v) }
            return "{\"kernel\": \"\(kernel.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\", "
                + "\"kh\": \(kh), \"kw\": \(kw), \"width\": \(width), \"height\": \(height), \"channels\": \(channels), "
                + "\"separable\": \(separable), \"ms\": \(f(ms)), \"copy_ms\": \(f(copyMs)), "
                + "\"mpix_per_s\": \(f(megapixelsPerSecond)), \"cores\": \(activeCores)}"
        }
    }

    public var width = 4000, height = 3000, channels = 3
    /// Timed runs after one warm-up; the median is reported.
    public var runs = 7

    public init() {}

    /// The default set: a 3×3, separable kernels small and large, dense 5×5 and 15×15.
    public static let defaultKernels = ["laplacian", "sobel-x", "gaussian:sigma=3", "unsharp-5", "disk:7"]

    public func run(_ spec: String, library: KernelLibrary) throws -> Result {
        let k = try library.resolve(spec)
        guard k.isPlain else { throw SpecError("bench takes 2-D kernels; '\(spec)' is a filter bank") }
        let conv = k.conv()
        let shape = Shape3(channels: channels, height: height, width: width)
        let plan = try Pipeline([conv]).plan(for: shape)
        let count = shape.count
        let input = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: plan.output.count)
        defer { input.deallocate(); output.deallocate() }
        var seed: UInt32 = 12345
        for i in 0..<count { seed = seed &* 1664525 &+ 1013904223; input[i] = Float(seed >> 8) / Float(1 << 24) }
        output.initialize(repeating: 0, count: plan.output.count)
        let whole = Band(base: input, channels: channels, firstRow: 0, rows: height, width: width)
        let target = Band(base: output, channels: plan.output.channels, firstRow: 0, rows: plan.output.height,
                          width: plan.output.width)
        let filter = { plan.run(source: { rows, _ in whole.slice(rows) }, destination: { target.slice($0) }) }
        // The copy moves the same bytes with the same number of threads.
        let chunks = max(1, activeCores * 4), per = (count + chunks - 1) / chunks
        let copy = {
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let lo = i * per, n = min(count, lo + per) - lo
                if n > 0 { (output + lo).update(from: input + lo, count: n) }
            }
        }
        return Result(kernel: spec, kh: k.height, kw: k.width, width: width, height: height, channels: channels,
                      separable: (plan.stages[0] as? any SeparableReporting)?.isSeparable ?? false,
                      ms: median(filter), copyMs: median(copy))
    }

    func median(_ body: () -> Void) -> Double {
        body() // warm-up: page faults, scratch memory, caches
        var times: [Double] = []
        for _ in 0..<max(1, runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort()
        return times[times.count / 2]
    }
}
