/// One problem in an input file, in the form every Bursar command reports them:
/// `file:line:column: field: message`, where the position, the column and the field are left out when not
/// known. Mapping rows, the platform's configuration files and (later) workflow definitions all say it this
/// way, so a person or an editor can jump to the place.
public struct SourceProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based line; 0 for the file as a whole.
    public var line: Int
    /// 1-based column; 0 when not known.
    public var column: Int
    /// The field path, e.g. `clusters[1].capacity.memory`; empty when the problem is not about one field.
    public var field: String
    /// What is wrong and what to do.
    public var message: String

    public init(file: String, line: Int, column: Int = 0, field: String = "", message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    /// A problem whose position may be unknown (nil: not known).
    public init(file: String, line: Int?, column: Int? = nil, field: String = "", message: String) {
        self.init(file: file, line: line ?? 0, column: column ?? 0, field: field, message: message)
    }

    public var description: String {
        let place = Self.place(file: file, line: line, column: column)
        return field.isEmpty ? "\(place): \(message)" : "\(place): \(field): \(message)"
    }

    /// `file:line:column`, `file:line` or `file`.
    public static func place(file: String, line: Int, column: Int = 0) -> String {
        guard line > 0 else { return file }
        return column > 0 ? "\(file):\(line):\(column)" : "\(file):\(line)"
    }
}
