import Foundation

/// Writes a file all at once or not at all: the bytes go to a temporary file
/// beside the target, which is renamed into place only when complete. "-" is
/// standard output.
public enum OutputFile {
    public static func write(_ path: String, _ body: (UnsafeMutablePointer<FILE>) throws -> Void) throws {
        if path == "-" {
            try body(stdout)
            guard fflush(stdout) == 0 else { throw CodecError("<stdout>", "write error: \(String(cString: strerror(errno)))") }
            return
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let shown = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw CodecError(path, "the output directory '\(shown)' does not exist")
        }
        var template = Array((dir + "/." + url.lastPathComponent + ".XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw CodecError(path, "cannot create a file in '\(dir)': \(String(cString: strerror(errno)))") }
        let tmp = String(cString: template)
        fchmod(fd, 0o644)
        guard let file = fdopen(fd, "wb") else {
            close(fd); unlink(tmp)
            throw CodecError(path, "cannot open a temporary file")
        }
        do {
            try body(file)
        } catch {
            fclose(file); unlink(tmp)
            throw error
        }
        let flushed = fflush(file) == 0 && ferror(file) == 0
        let closed = fclose(file) == 0
        guard flushed && closed else {
            unlink(tmp)
            throw CodecError(path, "write error (disk full?)")
        }
        if let name = stopBeforeRename, name == url.lastPathComponent { raise(SIGSTOP) }
        guard rename(tmp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw CodecError(path, "cannot move the finished file into place: \(why)")
        }
    }

    /// For the tests: a file name whose write stops (SIGSTOP) when the temporary file is complete and not yet
    /// renamed, so that a SIGKILL lands in the middle of a write.
    static let stopBeforeRename = ProcessInfo.processInfo.environment["CNNFILTER_STOP_BEFORE_RENAME"]

    /// Removes what a killed run left beside `paths`, the temporary files (".NAME.XXXXXX", as `write` makes
    /// them) and directories being filled (".NAME.tmp-PID", as a layer dump makes them), and returns their
    /// paths. Only these targets' own are looked for, so runs writing other files into the same directory at
    /// the same time never lose work in progress.
    public static func removeLeftovers(of paths: [String]) -> [String] {
        var byDir: [String: Set<String>] = [:]
        for path in paths where path != "-" {
            let dir = (path as NSString).deletingLastPathComponent
            byDir[dir.isEmpty ? "." : dir, default: []].insert((path as NSString).lastPathComponent)
        }
        var removed: [String] = []
        for (dir, names) in byDir.sorted(by: { $0.key < $1.key }) {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for entry in entries.sorted() {
                guard let name = leftoverName(entry), names.contains(name) else { continue }
                let path = (dir as NSString).appendingPathComponent(entry)
                if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
            }
        }
        return removed
    }

    /// The output a temporary entry was to become: NAME for ".NAME.XXXXXX" (six letters or digits)
    /// and ".NAME.tmp-PID"; nil for anything else.
    public static func leftoverName(_ entry: String) -> String? {
        guard entry.hasPrefix("."), let dot = entry.lastIndex(of: "."), dot > entry.startIndex else { return nil }
        let tail = entry[entry.index(after: dot)...]
        let random = tail.count == 6 && tail.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        let process = tail.hasPrefix("tmp-") && tail.count > 4
            && tail.dropFirst(4).allSatisfy { $0.isASCII && $0.isNumber }
        guard random || process else { return nil }
        let name = entry[entry.index(after: entry.startIndex)..<dot]
        return name.isEmpty ? nil : String(name)
    }

    public static func write(_ path: String, bytes: [UInt8]) throws {
        try write(path) { file in
            let n = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
            guard n == bytes.count else { throw CodecError(path, "write error") }
        }
    }
}
