import Tensors

/// A problem in a kernel file or specification, located by line and column.
public struct KernelError: Error, Equatable, CustomStringConvertible {
    /// The file path, or a description such as "--kernel '0 1; x 3'".
    public var source: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(source: String, line: Int? = nil, column: Int? = nil, _ message: String) {
        self.source = source; self.line = line; self.column = column; self.message = message
    }

    /// One line of about 300 characters at most, whatever the source and message hold.
    public var description: String {
        var where_ = Excerpt.quote(source, limit: 120)
        if let line { where_ += ":\(line)" }
        if let column { where_ += ":\(column)" }
        return "\(where_): \(Excerpt.quote(message, limit: 180))"
    }
}
