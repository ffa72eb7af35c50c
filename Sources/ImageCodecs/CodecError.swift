import Tensors

/// A problem reading or writing an image, naming the file.
public struct CodecError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(_ path: String, _ reason: String) { self.path = path; self.reason = reason }
    /// One line of about 300 characters at most, whatever the path and reason hold.
    public var description: String { "\(Excerpt.quote(path, limit: 120)): \(Excerpt.quote(reason, limit: 180))" }
}
