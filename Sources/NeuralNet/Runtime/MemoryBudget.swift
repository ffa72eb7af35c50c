import Foundation
import Tensors

/// The most memory one tensor of a model may take, checked before any tensor whose size comes from the
/// model (a declared input, an attribute, a shape input) is allocated, so that a small hostile file
/// cannot ask for gigabytes: 1/16 of physical memory and at least 256 MiB, or CNNFILTER_MAX_MEMORY_MB.
public enum MemoryBudget {
    public static let bytes: Int = {
        if let text = ProcessInfo.processInfo.environment["CNNFILTER_MAX_MEMORY_MB"], let mb = Int(text), mb > 0 {
            return mb.multipliedReportingOverflow(by: 1 << 20).overflow ? Int.max : mb << 20
        }
        return max(256 << 20, Int(min(ProcessInfo.processInfo.physicalMemory / 16, UInt64(Int.max))))
    }()

    /// The number of values of `shape`, when no dimension is negative, the product does not overflow
    /// and the Float32 values fit the budget; otherwise an error naming `what` (and the node).
    public static func count(_ shape: [Int], _ what: String, node: Node? = nil) throws -> Int {
        func fail(_ why: String) -> ModelError {
            let text = "\(what) of shape \(shape.map(String.init).joined(separator: "×")) \(why)"
            return node.map { ModelError.node($0, text) } ?? ModelError(text)
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("has a negative dimension") }
        var n = 1
        for d in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("holds more values than can be counted") }
            n = p
        }
        guard n <= bytes / 4 else {
            throw fail("needs \(n / (1 << 18)) MiB, over the \(bytes >> 20) MiB limit "
                       + "(CNNFILTER_MAX_MEMORY_MB raises it)")
        }
        return n
    }
}

/// Attribute values that size or place windows (kernels, strides, dilations, pads, block sizes): whole
/// numbers in `range`, `count` of them when given, so that no arithmetic on them overflows.
func checkedInts(_ node: Node, _ key: String, count: Int? = nil, in range: ClosedRange<Int>) throws -> [Int]? {
    guard let values = node.ints(key) else { return nil }
    if let count, values.count != count {
        throw ModelError.node(node, "\(key) has \(values.count) values, expected \(count)")
    }
    guard values.allSatisfy(range.contains) else {
        throw ModelError.node(node, "\(key) \(values) must lie in \(range.lowerBound)…\(range.upperBound)")
    }
    return values
}

/// The bound for window attributes: far beyond any real model, small enough that sums and products of
/// a few of them stay inside Int.
let windowLimit = 1 << 20
