import CDirectConv
import Foundation

/// The instruction set of the C kernels that run (CDirectConv compiles them for SSE, AVX2 + FMA and AVX-512):
/// the widest this CPU has, unless CNNFILTER_ISA or `use` names another. One set serves the whole process,
/// since a plan's packed filters fit the set that packed them.
public enum KernelSet {
    public static let names = ["sse", "avx2", "avx512"]

    public static var running: String { String(cString: cf_isa()) }
    public static var supported: [String] { names.filter { cf_isa_supported($0) != 0 } }

    /// Runs the named set from now on; call it before any model is loaded.
    public static func use(_ name: String) throws {
        guard names.contains(name) else {
            throw KernelSetError("unknown instruction set '\(name)' (expected \(names.joined(separator: ", ")))")
        }
        guard cf_isa_use(name) == 0 else {
            let runs = supported.joined(separator: ", ")
            throw KernelSetError("this CPU cannot run the \(name) kernels (it runs \(runs))")
        }
    }

    /// Refuses a CNNFILTER_ISA the kernels would not follow (the C side falls back to the widest set silently).
    public static func checkEnvironment() throws {
        guard let name = ProcessInfo.processInfo.environment["CNNFILTER_ISA"] else { return }
        do { try use(name) } catch let error as KernelSetError { throw KernelSetError("CNNFILTER_ISA: \(error)") }
    }
}

public struct KernelSetError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
