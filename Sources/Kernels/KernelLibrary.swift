import Foundation
import Tensors

/// Finds kernels by name, path, inline matrix or parameters. User kernels in
/// the search path (`./kernels`, then each directory of `CNNFILTER_KERNELS`)
/// come before the built-in copies of the shipped files.
public struct KernelLibrary: Sendable {
    public var searchPaths: [String]

    public init(searchPaths: [String]) { self.searchPaths = searchPaths }

    /// `./kernels` and the directories listed in `CNNFILTER_KERNELS` (colon separated).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> KernelLibrary {
        var paths = ["kernels"]
        if let extra = environment["CNNFILTER_KERNELS"] {
            paths += extra.split(separator: ":").map(String.init)
        }
        return KernelLibrary(searchPaths: paths)
    }

    public func resolve(_ spec: String) throws -> KernelFile {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        guard let first = trimmed.first else { throw KernelError(source: "--kernel ''", "empty kernel specification") }
        // An inline matrix: '0 1; 2 3', rows separated by ';' ("./x.kernel" is a path, ".5 1" a matrix);
        // '|' separates the channel slices of a 3-D filter ('1 0; 0 0 | 0 1; 0 0 | 0 0; 0 1' for R, G, B),
        // written as the blank line that separates slices in a kernel file.
        let secondIsDigit = trimmed.dropFirst().first?.isNumber ?? false
        if first.isNumber || first == "-" || first == "+" || (first == "." && secondIsDigit) {
            let text = trimmed.replacingOccurrences(of: "|", with: "\n\n").replacingOccurrences(of: ";", with: "\n")
            return try KernelParser.parse(text,
                                          source: "--kernel '\(Excerpt.quote(spec))'", defaultName: "inline")
        }
        if let k = try ParametricKernels.make(trimmed) { return k }
        let looksLikePath = trimmed.contains("/") || trimmed.hasSuffix(".kernel")
        if looksLikePath || (FileManager.default.fileExists(atPath: trimmed) && !isBuiltin(trimmed)) {
            return try load(path: trimmed)
        }
        for dir in searchPaths {
            let path = dir + "/" + trimmed + ".kernel"
            if FileManager.default.fileExists(atPath: path) { return try load(path: path) }
        }
        if let text = BuiltinKernels.files[trimmed] {
            return try KernelParser.parse(text, source: "built-in:\(trimmed)", defaultName: trimmed)
        }
        var message = "unknown kernel '\(Excerpt.quote(trimmed))'"
        let names = listNames()
        if let close = names.min(by: { editDistance($0, trimmed) < editDistance($1, trimmed) }),
           editDistance(close, trimmed) <= 2 {
            message += "; did you mean '\(close)'?"
        }
        message += " (cnnfilter kernels lists them; --kernel also takes a file, '1 0; 0 -1' or gaussian:sigma=2)"
        throw KernelError(source: "--kernel", message)
    }

    func isBuiltin(_ name: String) -> Bool { BuiltinKernels.files[name] != nil }

    public func load(path: String) throws -> KernelFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw KernelError(source: path, exists ? "cannot read the file" : "no such kernel file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KernelError(source: path, "not a text file (invalid UTF-8)")
        }
        let base = (path as NSString).lastPathComponent
        let name = base.hasSuffix(".kernel") ? String(base.dropLast(7)) : base
        return try KernelParser.parse(text, source: path, defaultName: name)
    }

    /// Names available: the search path's files, then built-ins, without duplicates.
    public func listNames() -> [String] { list().map(\.name) }

    /// Every kernel reachable by name, with its description and origin. A file
    /// that fails to parse is listed with its error as the description.
    public func list() -> [(name: String, description: String, origin: String)] {
        var seen = Set<String>(), result: [(String, String, String)] = []
        for dir in searchPaths {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for f in files.sorted(by: { $0.dropLast(7) < $1.dropLast(7) }) where f.hasSuffix(".kernel") {
                let name = String(f.dropLast(7))
                guard seen.insert(name).inserted else { continue }
                let path = dir + "/" + f
                do {
                    let k = try load(path: path)
                    result.append((name, k.description, path))
                } catch {
                    result.append((name, "unreadable: \(error)", path))
                }
            }
        }
        for name in BuiltinKernels.files.keys.sorted() where seen.insert(name).inserted {
            let k = try? KernelParser.parse(BuiltinKernels.files[name]!, source: "built-in:\(name)", defaultName: name)
            result.append((name, k?.description ?? "", "built-in"))
        }
        return result
    }
}

/// Levenshtein distance: insertions, deletions and substitutions.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var prev = Array(0...b.count)
    for (i, ca) in a.enumerated() {
        var cur = [i + 1]
        for (j, cb) in b.enumerated() {
            cur.append(min(prev[j + 1] + 1, cur[j] + 1, prev[j] + (ca == cb ? 0 : 1)))
        }
        prev = cur
    }
    return prev[b.count]
}
