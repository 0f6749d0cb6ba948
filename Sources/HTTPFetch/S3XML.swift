/// Reads the two XML documents the S3 client needs (a ListObjectsV2 page and an error) with a byte scanner.
///
/// S3's documents are flat and attribute-free, so finding `<Name>…</Name>` pairs is enough and needs no XML
/// library. The scanner is lenient on purpose: a key containing a character XML 1.0 forbids (S3 allows them)
/// still comes through instead of failing a whole listing.
enum S3XML {
    /// One ListObjectsV2 response page.
    struct ListPage: Equatable {
        var objects: [S3Object]
        var isTruncated: Bool
        var nextContinuationToken: String?
    }

    /// The fields of an S3 `<Error>` document the client reports.
    struct ErrorDocument: Equatable {
        var code: String
        var message: String?
        var requestID: String?
        /// The bucket's region, in AuthorizationHeaderMalformed errors.
        var region: String?
        /// The endpoint to use instead, in PermanentRedirect errors.
        var endpoint: String?
    }

    /// Why a success body could not be read.
    struct Malformed: Error, Equatable {
        var reason: String
    }

    /// Parses a ListBucketResult.
    static func listPage(_ body: [UInt8]) throws(Malformed) -> ListPage {
        let document = body[...]
        guard let result = element("ListBucketResult", in: document) else {
            throw Malformed(reason: "the response is not a ListBucketResult")
        }
        var objects: [S3Object] = []
        var rest = result
        while let (contents, after) = elementAndRest("Contents", in: rest) {
            rest = after
            guard let key = text("Key", in: contents) else {
                throw Malformed(reason: "a <Contents> entry has no <Key>")
            }
            guard let sizeText = text("Size", in: contents), let size = Int(sizeText), size >= 0 else {
                throw Malformed(reason: "the entry for key \"\(key)\" has no valid <Size>")
            }
            var etag = text("ETag", in: contents) ?? ""
            // S3 sends the HTTP entity tag, quotes included; the quotes carry no information.
            if etag.count >= 2, etag.hasPrefix("\""), etag.hasSuffix("\"") {
                etag = String(etag.dropFirst().dropLast())
            }
            objects.append(
                S3Object(key: key, size: size, etag: etag, lastModified: text("LastModified", in: contents) ?? ""))
        }
        let truncated = text("IsTruncated", in: result)
        guard truncated == nil || truncated == "true" || truncated == "false" else {
            throw Malformed(reason: "<IsTruncated> is \"\(truncated!)\"")
        }
        let token = text("NextContinuationToken", in: result)
        return ListPage(
            objects: objects, isTruncated: truncated == "true",
            nextContinuationToken: token?.isEmpty == true ? nil : token)
    }

    /// Parses an S3 `<Error>` document; nil when the body is not one (a HEAD response, a proxy's HTML page).
    static func errorDocument(_ body: [UInt8]) -> ErrorDocument? {
        guard let error = element("Error", in: body[...]), let code = text("Code", in: error), !code.isEmpty else {
            return nil
        }
        return ErrorDocument(
            code: code, message: text("Message", in: error), requestID: text("RequestId", in: error),
            region: text("Region", in: error), endpoint: text("Endpoint", in: error))
    }

    // MARK: - Scanning

    /// The decoded text content of the first `<name>` element in `bytes`; "" for `<name/>`.
    static func text(_ name: String, in bytes: ArraySlice<UInt8>) -> String? {
        element(name, in: bytes).map(decodeEntities)
    }

    /// The content of the first `<name>` element in `bytes`.
    private static func element(_ name: String, in bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        elementAndRest(name, in: bytes)?.content
    }

    /// The content of the first `<name>` element, and the bytes after its end tag.
    private static func elementAndRest(
        _ name: String, in bytes: ArraySlice<UInt8>
    ) -> (content: ArraySlice<UInt8>, rest: ArraySlice<UInt8>)? {
        let open = Array("<\(name)".utf8)
        let close = Array("</\(name)>".utf8)
        var searchFrom = bytes.startIndex
        while let start = firstIndex(of: open, in: bytes[searchFrom...]) {
            var cursor = start + open.count
            guard cursor < bytes.endIndex else { return nil }
            // "<Key" must not match "<KeyCount>": the name ends at '>', '/' or whitespace.
            switch bytes[cursor] {
            case UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"),
                UInt8(ascii: "\r"):
                break
            default:
                searchFrom = cursor
                continue
            }
            guard let tagEnd = bytes[cursor...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
            if bytes[tagEnd - 1] == UInt8(ascii: "/") {
                return (bytes[tagEnd..<tagEnd], bytes[(tagEnd + 1)...])
            }
            cursor = tagEnd + 1
            guard let end = firstIndex(of: close, in: bytes[cursor...]) else { return nil }
            return (bytes[cursor..<end], bytes[(end + close.count)...])
        }
        return nil
    }

    private static func firstIndex(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            guard let candidate = haystack[index...last].firstIndex(of: first) else { return nil }
            if haystack[candidate..<(candidate + needle.count)].elementsEqual(needle) { return candidate }
            index = candidate + 1
        }
        return nil
    }

    /// Replaces the five predefined entities and numeric character references; anything else stays as written.
    static func decodeEntities(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "&"),
                let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")),
                let replacement = entity(String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self))
            else {
                output.append(byte)
                index += 1
                continue
            }
            output += replacement
            index = semicolon + 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func entity(_ name: String) -> [UInt8]? {
        switch name {
        case "amp": return [UInt8(ascii: "&")]
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        default:
            guard name.hasPrefix("#") else { return nil }
            let digits = name.dropFirst()
            let value =
                digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            guard let value, let scalar = Unicode.Scalar(value) else { return nil }
            return Array(String(Character(scalar)).utf8)
        }
    }
}
