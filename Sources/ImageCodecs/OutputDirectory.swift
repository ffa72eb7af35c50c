import Foundation

/// Fills a directory all at once or not at all: the files are written into a hidden directory beside
/// the target, then moved into it (created if missing; files of the same names are replaced) only
/// when every one is done, so a failure leaves nothing behind.
public enum OutputDirectory {
    /// `body` gets the hidden directory's path to write into.
    public static func write<T>(_ target: String, _ body: (String) throws -> T) throws -> T {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: target, isDirectory: &isDir)
        if exists && !isDir.boolValue { throw CodecError(target, "exists and is not a directory") }
        let url = URL(fileURLWithPath: target)
        let parent = url.deletingLastPathComponent().path
        guard fm.fileExists(atPath: parent) else {
            throw CodecError(target, "the directory '\(parent)' does not exist")
        }
        // What a killed run left goes first (`OutputFile.removeLeftovers` knows this directory's name).
        _ = OutputFile.removeLeftovers(of: [target])
        let dir = parent + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: false)
        do {
            let result = try body(dir)
            if !exists {
                try fm.moveItem(atPath: dir, toPath: target)
            } else {
                for item in try fm.contentsOfDirectory(atPath: dir) {
                    let destination = target + "/" + item
                    if fm.fileExists(atPath: destination) { try fm.removeItem(atPath: destination) }
                    try fm.moveItem(atPath: dir + "/" + item, toPath: destination)
                }
                try fm.removeItem(atPath: dir)
            }
            return result
        } catch {
            try? fm.removeItem(atPath: dir)
            throw error
        }
    }
}
