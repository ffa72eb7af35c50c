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
        guard rename(tmp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw CodecError(path, "cannot move the finished file into place: \(why)")
        }
    }

    public static func write(_ path: String, bytes: [UInt8]) throws {
        try write(path) { file in
            let n = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
            guard n == bytes.count else { throw CodecError(path, "write error") }
        }
    }
}
