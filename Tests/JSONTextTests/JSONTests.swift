import Foundation
import JSONText
import Testing

/// The reports' JSON writer: what it writes must read back, through Foundation's parser, as what was built.
@Suite("JSON text")
struct JSONTests {
    @Test func escapesEveryControlCharacterQuoteAndBackslash() throws {
        let nasty = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }.joined() + "\u{7F}\"\\/ é 𝄞 end"
        let text = JSON.quoted(nasty)
        #expect(text.hasPrefix("\"") && text.hasSuffix("\""))
        #expect(!text.utf8.dropFirst().dropLast().contains { $0 < 0x20 }, "a raw control byte: \(text)")
        #expect(text.contains(#"\u007f"#) && text.contains(#"\u0001"#) && text.contains(#"\n"#) && text.contains(#"\t"#) && text.contains(#"\""#))
        let back = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? String
        #expect(back == nasty)
    }

    @Test func prettyTextReadsBackWithSortedKeys() throws {
        let document: JSON = .object([
            "zeta": .array([.int(1), .number(2.5), .number(3), .null, .bool(true)]),
            "alpha": .object(["b": .string("x\ny"), "a": .strings(["p", "q"])]),
            "empty": .object([:]), "none": .array([]), "big": .number(1e20), "nan": .number(.nan),
        ])
        let text = document.pretty()
        let keys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        #expect(keys == ["alpha", "big", "empty", "nan", "none", "zeta"])
        let back = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((back["zeta"] as? [Any])?.count == 5)
        #expect((back["alpha"] as? [String: Any])?["b"] as? String == "x\ny")
        #expect(back["nan"] is NSNull)
        #expect(text.contains("\"zeta\" : [\n    1,\n    2.5,\n    3,\n    null,\n    true\n  ]"))
    }
}
