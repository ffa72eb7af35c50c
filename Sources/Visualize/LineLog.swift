import Foundation
import ImageCodecs

/// Where a batch's lines of answers go as they are made: standard output, or a file that grows a
/// batch of lines at a time (each batch one write, so a killed run leaves the lines of the inputs
/// it finished and at most part of one more, which `PredictionLines.answered` finds and the next
/// run cuts off). Unlike OutputFile's rename, a run that is killed keeps its work.
public final class LineLog {
    public let path: String
    private let keep: Int?
    private var opened: Int32?

    /// `path` "-": standard output. Otherwise the file is created, or emptied, or with `keeping`
    /// cut to that many bytes and appended to. Nothing is opened before the first `write`, so a run
    /// that fails before its first answer leaves an existing file as it was.
    public init(_ path: String, keeping length: Int? = nil) {
        self.path = path
        self.keep = length
    }

    private func open() throws -> Int32 {
        if let opened { return opened }
        let fd: Int32
        if path == "-" {
            fd = STDOUT_FILENO
        } else {
            fd = Glibc.open(path, O_WRONLY | O_CREAT | (keep == nil ? O_TRUNC : 0), 0o644)
            guard fd >= 0 else { throw CodecError(path, "cannot write: \(String(cString: strerror(errno)))") }
            if let keep {
                guard ftruncate(fd, off_t(keep)) == 0, lseek(fd, 0, SEEK_END) >= 0 else {
                    let why = String(cString: strerror(errno))
                    Glibc.close(fd)
                    throw CodecError(path, "cannot append: \(why)")
                }
            }
        }
        opened = fd
        return fd
    }

    /// Writes `text` whole (one call to write(2) unless the system splits it).
    public func write(_ text: String) throws {
        guard !text.isEmpty else { return }
        let fd = try open()
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw CodecError(path == "-" ? "<stdout>" : path, "write error: \(String(cString: strerror(errno)))")
            }
            bytes = bytes.dropFirst(n)
        }
    }

    deinit {
        if let opened, opened != STDOUT_FILENO { Glibc.close(opened) }
    }
}
