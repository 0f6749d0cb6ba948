import QueueConfig

/// YuniKorn's `POST /ws/v1/validate-conf`, answered as yunikorn-core does (`pkg/webservice/handlers.go`
/// `validateConf`, core be3bb487), so an admission webhook pointed at Bursar cannot tell the difference:
/// always 200 with `{"allowed":true}` or `{"allowed":false,"reason":"<first error>"}`, encoded by Go's
/// `json.Encoder` (HTML-safe escapes, a trailing newline), with the same headers. No auth, as there.
public enum ValidateConf {
    /// The headers `writeHeaders` sets on every scheduler REST answer.
    public static let headers: [(String, String)] = [
        ("Content-Type", "application/json; charset=UTF-8"),
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "GET,POST,HEAD,OPTIONS"),
        ("Access-Control-Allow-Headers", "X-Requested-With,Content-Type,Accept,Origin"),
    ]

    /// The response body for a request body (the raw `queues.yaml` text, not a ConfigMap).
    public static func answer(_ body: [UInt8]) -> [UInt8] {
        // Go reads the bytes as they are; invalid UTF-8 reaches the YAML parser, which refuses it.
        let text = String(decoding: body, as: UTF8.self)
        let result = Validator.validate(text: text)
        if let reason = result.yunikornError {
            return Array("{\"allowed\":false,\"reason\":".utf8) + GoJSON.string(reason) + Array("}\n".utf8)
        }
        return Array("{\"allowed\":true}\n".utf8)
    }
}

/// String encoding exactly as Go's `encoding/json` writes it with HTML escaping on (the `json.Encoder`
/// default): `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`, control characters as `\n`/`\r`/`\t` or `\u00XX`.
public enum GoJSON {
    /// The quoted JSON string.
    public static func string(_ value: String) -> [UInt8] {
        var out: [UInt8] = [0x22]
        out.reserveCapacity(value.utf8.count + 8)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        let bytes = Array(value.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x00..<0x20, 0x3C, 0x3E, 0x26:
                out += [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            case 0xE2 where index + 1 < bytes.count && bytes[index] == 0x80 && (bytes[index + 1] == 0xA8 || bytes[index + 1] == 0xA9):
                // U+2028 and U+2029 (UTF-8 E2 80 A8/A9).
                out += [0x5C, 0x75, 0x32, 0x30, 0x32, bytes[index + 1] == 0xA8 ? 0x38 : 0x39]
                index += 2
            default: out.append(byte)
            }
        }
        out.append(0x22)
        return out
    }
}
