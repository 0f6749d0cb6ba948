/// A minimal RFC 4180 reader for the mapping files: quoted fields (with `""` escapes and embedded
/// newlines), CRLF or LF line ends, a UTF-8 BOM tolerated. Every record carries the line it starts on,
/// so a bad row can be named exactly.
public enum CSV {
    /// One record and the 1-based line it starts on.
    public struct Record: Equatable, Sendable {
        public var line: Int
        public var fields: [String]
    }

    /// A text that is not valid CSV (an unterminated quote, or text right after a closing quote).
    public struct SyntaxError: Error, Equatable, Sendable {
        public var line: Int
        public var message: String
    }

    /// Splits `text` into records; blank lines are skipped.
    public static func records(_ text: String) throws(SyntaxError) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var afterQuote = false
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            afterQuote = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
        }

        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        inQuotes = false
                        afterQuote = true
                    }
                } else {
                    if byte == 10 { line += 1 }
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: ",") {
                endField()
            } else if byte == 10 || byte == 13 {
                if byte == 13 && index + 1 < bytes.count && bytes[index + 1] == 10 { index += 1 }
                endRecord()
                line += 1
                recordLine = line
            } else if byte == UInt8(ascii: "\"") && field.isEmpty && !afterQuote {
                inQuotes = true
            } else if afterQuote {
                throw SyntaxError(line: line, message: "text after a closing quote (quote the whole field and double any \" inside it)")
            } else {
                field.append(byte)
            }
            index += 1
        }
        if inQuotes { throw SyntaxError(line: recordLine, message: "unterminated quoted field (a \" is never closed)") }
        if !field.isEmpty || !fields.isEmpty || afterQuote { endRecord() }
        return records
    }

    /// Quotes a field when it holds a comma, quote or line break (RFC 4180).
    public static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
