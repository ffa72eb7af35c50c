import ArgumentParser
import Explain
import FilterPipeline
import Foundation
import Kernels
import NeuralNet
import Tensors

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the convolution engine in memory against a copy of the same bytes.",
        discussion: """
        Runs each kernel on a synthetic W×H×3 Float32 image after a warm-up and
        reports the median time, megapixels per second and the time of a plain
        copy of the same bytes (same number of threads) measured in the same run.
          cnnfilter bench
          cnnfilter bench --size 1920x1080 --kernel laplacian --kernel gaussian:sigma=2
          cnnfilter bench --json
          cnnfilter bench model.onnx            (median forward latency of a model)
          cnnfilter bench model.onnx --profile  (and each layer's median time)
          cnnfilter bench model.onnx --explain gradcam  (an explanation's time against the forward pass's)
          cnnfilter bench model.onnx --isa avx2  (the AVX2 kernels on an AVX-512 CPU, to compare them)
        A model's line names the kernels that ran (sse, avx2 or avx512: the widest this CPU has, or --isa).
        """
    )

    @Argument(help: "An ONNX model to time instead of kernels.")
    var model: String?

    @Option(help: "Image size as WIDTHxHEIGHT.")
    var size = "4000x3000"

    @Option(name: [.short, .long], help: "A kernel to time; repeatable (default: \(EngineBenchmark.defaultKernels.joined(separator: ", "))).")
    var kernel: [String] = []

    @Option(help: "Timed runs per kernel (the median is reported).")
    var runs = 7

    @Flag(help: "One JSON object per kernel per line.")
    var json = false

    @Flag(help: "With a model: each layer's median time too (layers that absorbed a Relu or Clip time both).")
    var profile = false

    @Option(help: "With a model: how convolutions with many filters run, direct (cnnfilter's kernel) or sgemm (im2col + OpenBLAS), to compare them (default: \(ConvOps.Path.preferred.rawValue) in this build).")
    var conv: ConvOps.Path?

    @Option(help: ArgumentHelp("With a model: also time this explanation of the top class (a method of "
            + "'explain', with its default options), alternating with the forward pass."))
    var explain: ExplanationMethod?

    @Option(help: ArgumentHelp("With a model: the C kernels' instruction set, sse, avx2 or avx512 (default: the "
            + "widest this CPU runs, \(KernelSet.running))."))
    var isa: String?

    @Flag(help: "Print the instruction sets whose kernels this CPU runs, widest first, and stop.")
    var listIsas = false

    func run() throws {
        if listIsas { return print(KernelSet.supported.reversed().joined(separator: "\n")) }
        if let isa { do { try KernelSet.use(isa) } catch { fail(error) } }
        if let model, let explain { return try benchExplanation(model, explain) }
        if let model { return try benchModel(model) }
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0, parts[0] * parts[1] <= 400_000_000 else {
            fail(SpecError("--size '\(size)': expected WIDTHxHEIGHT, e.g. 4000x3000"))
        }
        var bench = EngineBenchmark()
        bench.width = parts[0]; bench.height = parts[1]; bench.runs = runs
        let library = KernelLibrary.standard()
        if !json {
            print("\(bench.width)×\(bench.height)×\(bench.channels) Float32, \(activeCoresDescription), median of \(runs) runs")
            print("kernel               size     ms    Mpx/s  copy ms  ×copy")
        }
        for spec in kernel.isEmpty ? EngineBenchmark.defaultKernels : kernel {
            let r: EngineBenchmark.Result
            do { r = try bench.run(spec, library: library) } catch { fail(error) }
            if json {
                print(r.json)
            } else {
                let name = spec.count > 20 ? String(spec.prefix(19)) + "…" : spec
                print(String(format: "%@ %@ %6.1f %8.1f %8.1f %6.2f", name.padding(toLength: 20, withPad: " ", startingAt: 0),
                             "\(r.kh)×\(r.kw)\(r.separable ? "s" : "")".padding(toLength: 7, withPad: " ", startingAt: 0),
                             r.ms, r.megapixelsPerSecond, r.copyMs, r.ms / r.copyMs))
            }
            fflush(stdout)
        }
    }

    /// Median forward latency on zeros (symbolic dimensions as 1), after a warm-up.
    func benchModel(_ path: String) throws {
        do {
            let graph = try ONNXLoader.load(path: path)
            let runner = try ModelRunner(graph, convolutions: conv ?? .preferred)
            var inputs: [String: Tensor] = [:]
            for info in graph.inputs { inputs[info.name] = Tensor(shape: info.shape.map { $0 ?? 1 }) }
            _ = try runner.run(inputs)
            var times: [Double] = []
            var layers: [(node: Node, ms: [Double])] = [], row: [String: Int] = [:]
            for _ in 0..<max(1, runs) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try runner.run(inputs, timed: profile ? { node, ns in
                    let name = node.displayName
                    if row[name] == nil { row[name] = layers.count; layers.append((node, [])) }
                    layers[row[name]!].ms.append(Double(ns) / 1e6)
                } : nil)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            let ms = times.sorted()[times.count / 2]
            for (node, layerTimes) in layers {
                let median = layerTimes.sorted()[layerTimes.count / 2]
                if json {
                    print("{\"layer\": \"\(node.displayName)\", \"op\": \"\(node.opType)\", \"ms\": \(String(format: "%.3f", median))}")
                } else {
                    let name = node.displayName.padding(toLength: max(40, node.displayName.count), withPad: " ", startingAt: 0)
                    let op = node.opType.padding(toLength: 18, withPad: " ", startingAt: 0)
                    print(name, op, String(format: "%8.3f ms %5.1f %%", median, 100 * median / ms))
                }
            }
            if json {
                let name = path.replacingOccurrences(of: "\"", with: "\\\"")
                print("{\"model\": \"\(name)\", \"ms\": \(String(format: "%.3f", ms)), \"runs\": \(runs), "
                      + "\"isa\": \"\(KernelSet.running)\", \"conv\": \"\((conv ?? .preferred).rawValue)\"}")
            } else {
                print(String(format: "%@: %.2f ms median of %d runs (%@ kernels, %@ convolutions)", path, ms, runs,
                             KernelSet.running, (conv ?? .preferred).rawValue))
            }
        } catch { fail(error) }
    }

    /// Forward passes and explanations of the top class in turn, one of each per run; the medians and their ratio.
    func benchExplanation(_ path: String, _ method: ExplanationMethod) throws {
        do {
            var graph = try ONNXLoader.load(path: path)
            guard graph.inputs.count == 1 else { throw ModelError("\(path): explanations need one input") }
            graph.inputs[0].shape[0] = 1
            let runner = try ModelRunner(graph, convolutions: conv ?? .preferred), explainer = try Explainer(graph)
            let x = Tensor(shape: graph.inputs[0].shape.map { $0 ?? 1 }, repeating: 0.5)
            let scores = try explainer.scores(x), top = scores.indices.max { scores[$0] < scores[$1] } ?? 0
            let settings = ExplanationSettings(method: method), layer = try explainer.layerValue(settings)
            func explainOnce() throws { _ = try explainer.explain(x, target: top, settings, layer: layer) }
            _ = try runner.run([graph.inputs[0].name: x]); try explainOnce()
            var forward: [Double] = [], explained: [Double] = []
            for _ in 0..<max(1, runs) {
                var t0 = DispatchTime.now().uptimeNanoseconds
                _ = try runner.run([graph.inputs[0].name: x])
                forward.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                t0 = DispatchTime.now().uptimeNanoseconds
                try explainOnce()
                explained.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            let f = forward.sorted()[forward.count / 2], e = explained.sorted()[explained.count / 2]
            let what = layer.map { "\(method.rawValue) on \($0)" } ?? method.rawValue
            print(String(format: "%@: forward %.2f ms, %@ %.2f ms (%.2f× the forward pass), medians of %d runs",
                         path, f, what, e, e / f, runs))
        } catch { fail(error) }
    }

    var activeCoresDescription: String { "\(ProcessInfo.processInfo.activeProcessorCount) cores" }
}

extension ConvOps.Path: ExpressibleByArgument {}
