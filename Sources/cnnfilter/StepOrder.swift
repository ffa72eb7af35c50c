import FilterPipeline

/// ArgumentParser gives each repeated option as its own array; the pipeline
/// needs them in the order they were typed (`--kernel a --pool max:2 --kernel b`).
/// The order is read back from the raw arguments; when that reading does not
/// account for every value, the fixed order kernels, activations, pools is used.
enum StepOrder {
    static func steps(arguments: [String], kernels: [String], activations: [String], pools: [String]) -> [PipelineSpec.Step] {
        var order: [Character] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { break }
            if a == "--kernel" || a == "-k" || a.hasPrefix("--kernel=") { order.append("k") }
            else if a == "--activation" || a == "-a" || a.hasPrefix("--activation=") { order.append("a") }
            else if a == "--pool" || a.hasPrefix("--pool=") { order.append("p") }
            // Skip the value of an option so that a value never counts as an option.
            if !a.contains("="), a.hasPrefix("-"), a.count > 1, i + 1 < arguments.count, takesValue(a) { i += 1 }
            i += 1
        }
        var k = kernels.makeIterator(), act = activations.makeIterator(), p = pools.makeIterator()
        let counts = (order.filter { $0 == "k" }.count, order.filter { $0 == "a" }.count, order.filter { $0 == "p" }.count)
        guard counts == (kernels.count, activations.count, pools.count) else {
            return kernels.map { .kernel($0) } + activations.map { .activation($0) } + pools.map { .pool($0) }
        }
        return order.map { c in
            switch c {
            case "k": return .kernel(k.next()!)
            case "a": return .activation(act.next()!)
            default: return .pool(p.next()!)
            }
        }
    }

    static func takesValue(_ option: String) -> Bool {
        ["--kernel", "-k", "--activation", "-a", "--pool", "-o", "--output", "--format", "--quality",
         "--stride", "--dilation", "--padding", "--border", "--map", "--depth", "--png-level"].contains(option)
    }
}
