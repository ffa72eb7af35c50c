import Foundation
import ImageCodecs

/// Names of input files read from a list: one a line (`find` prints them so),
/// or NUL-separated (`find -print0`), which allows any character in a name.
public enum FileList {
    /// The names in `bytes`, in order. Empty entries (a blank line, the last
    /// separator) name no file and are left out; a carriage return ending a line
    /// is dropped. Nothing else is changed: spaces belong to the name.
    public static func names(_ bytes: [UInt8], nulSeparated: Bool) -> [String] {
        let separator: UInt8 = nulSeparated ? 0 : 10
        return bytes.split(separator: separator, omittingEmptySubsequences: true).compactMap { slice in
            var entry = slice[...]
            if !nulSeparated, entry.last == 13 { entry = entry.dropLast() }
            return entry.isEmpty ? nil : String(decoding: entry, as: UTF8.self)
        }
    }

    /// Reads a list from a file, or from standard input for "-".
    public static func read(_ path: String, nulSeparated: Bool) throws -> [String] {
        let bytes: [UInt8]
        if path == "-" {
            bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CodecError(path, "cannot read the list of files (--files-from)")
            }
            bytes = [UInt8](data)
        }
        let names = names(bytes, nulSeparated: nulSeparated)
        if !nulSeparated, bytes.contains(0) {
            throw CodecError(path == "-" ? "<stdin>" : path,
                             "the list holds NUL bytes: give -0 for NUL-separated names (find -print0)")
        }
        return names
    }
}

/// One of N deterministic slices of a list of inputs: with h the 64-bit FNV-1a
/// hash of a file's normalized path (as UTF-8), the file belongs to shard
/// floor(h * N / 2^64) + 1. The slice depends on the name alone, not on its place
/// in the list, so every machine, and every order of the same list, splits it the
/// same way. The high bits of h decide: FNV's low bits depend only on the low bits
/// of each byte, so h mod N would split names such as p1.jpg, p5.jpg badly.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    /// 1-based, as Slurm's array task ids and GNU parallel's {} usually are.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw SpecError("--shard \(index)/\(count): N must be at least 1") }
        guard (1...count).contains(index) else {
            throw SpecError("--shard \(index)/\(count): I must be between 1 and \(count) (shards are numbered from 1)")
        }
        self.index = index
        self.count = count
    }

    /// Parses "I/N".
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw SpecError("--shard '\(text)': expected I/N, two whole numbers such as 1/4")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether `path` falls into this shard.
    public func contains(_ path: String) -> Bool {
        Int(Shard.fnv1a64(BatchInputs.key(path)).multipliedFullWidth(by: UInt64(count)).high) + 1 == index
    }

    /// FNV-1a, 64 bits, over the UTF-8 bytes of `text`.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }
}

public enum BatchInputs {
    /// The path a name stands for, for duplicates and shards: "./a//b.png" and
    /// "a/b.png" are one file. Symbolic links and ".." are left as they are.
    public static func key(_ path: String) -> String {
        guard path != "-" else { return path }
        let absolute = path.hasPrefix("/")
        let parts = path.split(separator: "/").filter { $0 != "." }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// The inputs without repeats (the first of each kept, in order), and each
    /// repeated name with the number of times it was given.
    public static func unique(_ inputs: [String]) -> (inputs: [String], repeated: [(name: String, times: Int)]) {
        var seen: [String: Int] = [:]
        var order: [String] = []
        var kept: [String] = []
        for input in inputs {
            let k = key(input)
            if let n = seen[k] {
                seen[k] = n + 1
            } else {
                seen[k] = 1
                order.append(k)
                kept.append(input)
            }
        }
        let repeated = zip(order, kept).compactMap { k, name in seen[k]! > 1 ? (name, seen[k]!) : nil }
        return (kept, repeated)
    }
}
