internal import SourceDocuments

extension SourceNode {
    /// The value without positions.
    var json: JSONValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .integer(let number): return .integer(number)
        case .double(let number): return .double(number)
        case .string(let text): return .string(text)
        case .array(let elements): return .array(elements.map(\.json))
        case .object(let members): return .object(members.map { JSONValue.Member($0.key, $0.node.json) })
        }
    }
}
