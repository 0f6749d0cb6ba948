import Foundation
import JSONText
import Testing

/// The one-pass reader must accept exactly the JSON Foundation's parser accepts and read the same values out of
/// it; skipping must land where reading would.
@Suite("JSON reader")
struct JSONReaderTests {
    /// Everything `reader` holds next, built as Foundation would (numbers as Double, null as NSNull).
    static func value(_ reader: inout JSONReader) throws -> Any {
        switch try reader.peek() {
        case .object:
            var members: [String: Any] = [:]
            try reader.object { key, reader in members[key] = try value(&reader) }
            return members
        case .array:
            var elements: [Any] = []
            try reader.array { reader in elements.append(try value(&reader)) }
            return elements
        case .string: return try reader.string()
        case .number: return Double(try reader.numberText())!
        case .bool: return try reader.bool()
        case .null:
            try reader.skip()
            return NSNull()
        }
    }

    static func readAll(_ text: String) -> Any? {
        var reader = JSONReader(Array(text.utf8))
        guard let read = try? value(&reader), (try? reader.finish()) != nil else { return nil }
        return read
    }

    static func foundation(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)
    }

    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]): return a.count == b.count && a.allSatisfy { key, value in b[key].map { same(value, $0) } ?? false }
        case let (a as [Any], b as [Any]): return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        case let (a as String, b as String): return a == b
        case let (a as Bool, b as NSNumber): return a == b.boolValue
        case let (a as Double, b as NSNumber): return a == b.doubleValue
        case (is NSNull, is NSNull): return true
        default: return false
        }
    }

    static let documents = [
        #"{"type":"ADDED","object":{"kind":"SparkApplication","metadata":{"name":"a-1","labels":{"x":"y"}},"spec":{"n":[1,2.5,-3e2,0,-0.5,true,false,null]}}}"#,
        #"  [ ]  "#, #"{}"#, #""plain""#, #"-0"#, #"12345678901234567"#, #"[[[[[]]]]]"#,
        #"{"esc":"quote \" slash \/ back \\ \b\f\n\r\t \u00e9 \uD834\uDD1E \u0000 end"}"#,
        #"{"dup":1,"dup":2}"#, "{\"utf8\":\"é 𝄞 ü\"}", #"{"a" : [ 1 , { "b" : null } ] }"#,
    ]

    static let broken = [
        "", " ", "{", "}", #"{"a" 1}"#, #"{a:1}"#, "01", "-", "1.", ".5", "1e", "+1", "tru", "nul",
        #""unterminated"#, "\"raw \u{01} control\"", #""bad \x escape""#, #""\u12G4""#, "[1 2]", #"{"a":1} x"#, "[\"a\"]]",
        "'single'", "NaN", "Infinity",
    ]

    @Test func readsWhatFoundationReadsAndRefusesWhatItRefuses() throws {
        for text in Self.documents {
            let mine = try #require(Self.readAll(text), "refused: \(text)")
            let theirs = try #require(Self.foundation(text), "Foundation refused: \(text)")
            #expect(Self.same(mine, theirs), "differs: \(text)")
        }
        for text in Self.broken {
            #expect(Self.readAll(text) == nil, "accepted: \(text)")
            #expect(Self.foundation(text) == nil, "Foundation accepted: \(text)")
        }
        // Trailing commas are not JSON (RFC 8259); Foundation's parser lets them pass, this reader does not.
        for text in ["[1,]", #"{"a":1,}"#] {
            #expect(Self.readAll(text) == nil, "accepted: \(text)")
        }
        // Every proper prefix of a document is broken too (a torn line).
        let full = Self.documents[0]
        for cut in 1..<full.utf8.count {
            let prefix = String(decoding: Array(full.utf8.prefix(cut)), as: UTF8.self)
            #expect(Self.readAll(prefix) == nil || Self.foundation(prefix) != nil, "accepted a torn line: \(prefix)")
        }
    }

    @Test func skippingLandsWhereReadingWould() throws {
        var reader = JSONReader(Array(Self.documents[0].utf8))
        var type: String?, name: String?
        try reader.object { key, reader in
            switch key {
            case "type": type = try reader.string()
            case "object":
                try reader.object { key, reader in
                    if key == "metadata" {
                        try reader.object { key, reader in if key == "name" { name = try reader.string() } else { try reader.skip() } }
                    } else {
                        try reader.skip()
                    }
                }
            default: try reader.skip()
            }
        }
        try reader.finish()
        #expect(type == "ADDED" && name == "a-1")
    }

    @Test func optionalValuesSkipOtherKindsAndIntegersStayWhole() throws {
        var reader = JSONReader(Array(#"[null, 7, "s", {"deep":[1]}, 12.5, -9223372036854775808, 99999999999999999999]"#.utf8))
        var strings: [String?] = [], integers: [Int64?] = []
        var position = 0
        try reader.array { reader in
            if position < 4 { strings.append(try reader.optionalString()) } else { integers.append(try reader.optionalInteger()) }
            position += 1
        }
        #expect(strings == [nil, nil, "s", nil])
        #expect(integers == [nil, Int64.min, nil])
    }

    @Test func nestingIsBoundedAndLoneSurrogatesRefused() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        var reader = JSONReader(Array(deep.utf8), maxDepth: 64)
        #expect(throws: JSONReader.Failure.self) { try reader.skip() }
        var shallow = JSONReader(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8), maxDepth: 64)
        #expect(throws: Never.self) { try shallow.skip() }
        for text in [#""\uD800""#, #""\uDC00x""#, #""\uD800\u0041""#] {
            #expect(Self.readAll(text) == nil, "accepted \(text)")
        }
    }
}
