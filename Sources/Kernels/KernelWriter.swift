import Foundation

extension KernelFile {
    /// The file in the kernel format (kernels/README.md), values written with
    /// 9 significant digits so that reading it back gives the same Float32s.
    /// `comments` become '#' lines at the top.
    public func text(comments: [String] = []) -> String {
        func number(_ v: Float) -> String { String(format: "%.9g", Double(v)) }
        func rows(_ slice: [[Float]]) -> [String] {
            let cells = slice.map { $0.map(number) }
            let width = cells.flatMap { $0 }.map(\.count).max() ?? 1
            return cells.map { row in row.map { String(repeating: " ", count: width - $0.count) + $0 }.joined(separator: " ") }
        }
        var lines = comments.map { "# " + $0 }
        lines.append("name: \(name)")
        if !description.isEmpty { lines.append("description: \(description)") }
        if filters.count == 1 {
            if filters[0].bias != 0 { lines.append("bias: \(number(filters[0].bias))") }
            lines += filters[0].slices.map { rows($0).joined(separator: "\n") }.joined(separator: "\n\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        } else {
            for f in filters {
                lines.append(f.bias == 0 ? "filter" : "filter bias=\(number(f.bias))")
                lines += f.slices.map { rows($0).joined(separator: "\n") }.joined(separator: "\n\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
