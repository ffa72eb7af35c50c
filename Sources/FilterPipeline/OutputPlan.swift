import Foundation
import ImageCodecs

/// Where each input's result goes and in which format.
public struct OutputTarget: Equatable, Sendable {
    public var input: String
    /// A file path, or "-" for standard output.
    public var path: String
    public var format: ImageFormat

    public init(input: String, path: String, format: ImageFormat) {
        self.input = input
        self.path = path
        self.format = format
    }

    /// Whether the output file is there. Outputs are written to a temporary file and renamed into
    /// place, so one that exists is complete (--skip-existing).
    public var isWritten: Bool {
        var isDir: ObjCBool = false
        return path != "-" && FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
    }

    /// Creates the directory the output goes into when it is missing (--keep-tree).
    public func createDirectory() throws {
        let dir = (path as NSString).deletingLastPathComponent
        guard path != "-", !dir.isEmpty else { return }
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        catch { throw CodecError(dir, "cannot create the output directory") }
    }
}

public enum OutputPlan {
    /// Decides the outputs: `-o FILE`, `-o DIR/` (one file per input), `-o -`,
    /// or nothing (standard output when it is not a terminal). With `keepTree`,
    /// `-o DIR/` writes each input under its own relative directory inside DIR
    /// (photos/2023/a.jpg to DIR/photos/2023/a.jpg; a leading / is dropped).
    public static func targets(inputs: [String], output: String?, format: ImageFormat?, printText: Bool,
                               stdoutIsTerminal: Bool, keepTree: Bool = false) throws -> [OutputTarget] {
        guard !inputs.isEmpty else { throw SpecError("no input: give an image, a .npy or a text matrix (- reads standard input)") }
        if printText {
            guard output == nil || output == "-" else { throw SpecError("--print writes to standard output; leave out -o") }
            guard inputs.count == 1 else { throw SpecError("--print takes one input") }
            return [OutputTarget(input: inputs[0], path: "-", format: .txt)]
        }
        var isDir: ObjCBool = false
        let dirExists = output.map { FileManager.default.fileExists(atPath: $0, isDirectory: &isDir) && isDir.boolValue } ?? false
        if let output, output != "-", output.hasSuffix("/") || dirExists || inputs.count > 1 {
            guard dirExists else {
                throw CodecError(output, "the output directory does not exist"
                                 + (inputs.count > 1 ? " (several inputs write one file each into a directory)" : ""))
            }
            return try zip(inputs, paths(inputs, in: output, keepTree: keepTree) { input, base in
                base + "." + (format ?? defaultFormat(forInput: input)).fileExtension
            }).map { input, path in
                OutputTarget(input: input, path: path, format: format ?? defaultFormat(forInput: input))
            }
        }
        guard inputs.count == 1 else {
            throw SpecError("several inputs need -o DIR/ (one output file each)")
        }
        guard !keepTree else { throw SpecError("--keep-tree needs -o DIR/") }
        guard let output, output != "-" else {
            if output == nil && stdoutIsTerminal {
                throw SpecError("not writing binary image data to a terminal: give -o FILE, pipe the output (| display -), or use --print for numbers")
            }
            return [OutputTarget(input: inputs[0], path: "-", format: format ?? .png)]
        }
        guard let f = format ?? ImageFormat.fromExtension(of: output) else {
            throw CodecError(output, "cannot tell the output format from the extension; use --format png|jpeg|ppm|pgm|npy|txt")
        }
        return [OutputTarget(input: inputs[0], path: output, format: f)]
    }

    /// One directory per input in the existing directory `output` (`DIR/NAME`, NAME the input's file
    /// name without its extension; with `keepTree` under its relative directory), for outputs that
    /// are directories of files (a layer dump). The targets' format is their images' (PNG).
    public static func directories(inputs: [String], output: String, keepTree: Bool) throws -> [OutputTarget] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: output, isDirectory: &isDir), isDir.boolValue else {
            throw CodecError(output, "the output directory does not exist "
                             + "(several inputs write one directory each into it)")
        }
        return try zip(inputs, paths(inputs, in: output, keepTree: keepTree) { _, base in base })
            .map { OutputTarget(input: $0, path: $1, format: .png) }
    }

    /// `output/NAME` for each input, NAME from `name(input, base)` (base: the input's file name without
    /// its extension), with `keepTree` under the input's relative directory; two inputs with one path
    /// are an error.
    static func paths(_ inputs: [String], in output: String, keepTree: Bool,
                      name: (String, String) -> String) throws -> [String] {
        var used = Set<String>()
        return try inputs.map { input -> String in
            let file = input == "-" ? "stdin" : (input as NSString).lastPathComponent
            let base = (file as NSString).deletingPathExtension
            var dir = output
            if keepTree {
                guard input != "-" else { throw SpecError("--keep-tree needs input files, not standard input") }
                let parts = BatchInputs.key(input).split(separator: "/").dropLast()
                guard !parts.contains("..") else {
                    throw CodecError(input, "--keep-tree cannot place a path with '..' under the output directory")
                }
                if !parts.isEmpty {
                    dir = (output as NSString).appendingPathComponent(parts.joined(separator: "/"))
                }
            }
            let path = (dir as NSString).appendingPathComponent(name(input, base))
            if !used.insert(path).inserted {
                throw CodecError(path, "two inputs would write the same output file"
                                 + (keepTree ? "" : " (--keep-tree keeps their directories apart)"))
            }
            return path.replacingOccurrences(of: "//", with: "/")
        }
    }

    /// An input's own format (by its name), used when writing many results into a directory.
    static func defaultFormat(forInput input: String) -> ImageFormat {
        ImageFormat.fromExtension(of: input) ?? .png
    }
}
