import ArgumentParser
import Kernels
import Tensors

struct KernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "List the kernels, or print one.",
        discussion: """
        Kernels are found in ./kernels, in the directories of CNNFILTER_KERNELS
        (colon separated), then among the built-in copies of the shipped files.
          cnnfilter kernels
          cnnfilter kernels sharpen
          cnnfilter kernels gaussian:sigma=1.5
        """
    )

    @Argument(help: "A kernel to print (name, file, inline matrix or gaussian:sigma=S).")
    var name: String?

    func run() throws {
        let library = KernelLibrary.standard()
        guard let name else {
            let all = library.list()
            let width = all.map(\.name.count).max() ?? 0
            for k in all {
                let pad = String(repeating: " ", count: width - k.name.count)
                Swift.print("\(k.name)\(pad)  \(k.description)\(k.origin == "built-in" ? "" : "  [\(k.origin)]")")
            }
            return
        }
        let k: KernelFile
        do { k = try library.resolve(name) } catch { fail(error) }
        if let text = k.sourceText, !k.origin.hasPrefix("--kernel") {
            // A file: print it as written (fractions, comments and all).
            Swift.print("# from \(k.origin)")
            Swift.print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            return
        }
        Swift.print("name: \(k.name)")
        if !k.description.isEmpty { Swift.print("description: \(k.description)") }
        Swift.print("# \(k.filters.count == 1 ? "" : "\(k.filters.count) filters of ")\(k.depth > 1 ? "\(k.depth)×" : "")\(k.height)×\(k.width), from \(k.origin)")
        for (i, f) in k.filters.enumerated() {
            if !k.isPlain { Swift.print("filter bias=\(TextNumbers.format(f.bias))") }
            else if f.bias != 0 { Swift.print("bias: \(TextNumbers.format(f.bias))") }
            for (s, slice) in f.slices.enumerated() {
                if s > 0 { Swift.print("") }
                TextNumbers.formatRows(slice).forEach { Swift.print($0) }
            }
            if i + 1 < k.filters.count { Swift.print("") }
        }
    }
}
