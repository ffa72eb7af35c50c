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

    public var description: String {
        var where_ = source
        if let line { where_ += ":\(line)" }
        if let column { where_ += ":\(column)" }
        return "\(where_): \(message)"
    }
}
