import Foundation
public import Hummingbird
public import HTTPTypes
import NIOHTTP1

/// Every error the API answers with, in one JSON shape:
/// `{"error":{"status":400,"code":"invalid_manifest","message":"…","field":"…","line":3}}`.
/// `message` says what is wrong and what to do; `field` and `line` point into the request when they can.
public struct APIError: HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// A stable machine-readable code (`unauthenticated`, `forbidden`, `invalid_manifest`, …).
    public var code: String
    public var message: String
    public var field: String?
    public var line: Int?
    public var headers: [(HTTPField.Name, String)] = []

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil, line: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.line = line
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// The JSON body.
    public var body: [UInt8] {
        var object: [String: Any] = ["status": Int(status.code), "code": code, "message": message]
        if let field { object["field"] = field }
        if let line { object["line"] = line }
        let data = (try? JSONSerialization.data(withJSONObject: ["error": object], options: [.sortedKeys])) ?? Data()
        return Array(data) + [0x0A]
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        for (name, value) in headers { fields[name] = value }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    // MARK: The common ones

    static func unauthenticated(_ message: String) -> APIError {
        var error = APIError(.unauthorized, "unauthenticated", message)
        error.headers = [(.wwwAuthenticate, "Bearer realm=\"bursar\"")]
        return error
    }

    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }

    static func badRequest(_ code: String, _ message: String, field: String? = nil, line: Int? = nil) -> APIError {
        APIError(.badRequest, code, message, field: field, line: line)
    }

    static func unavailable(_ message: String) -> APIError {
        var error = APIError(.serviceUnavailable, "unavailable", message)
        error.headers = [(.retryAfter, "1")]
        return error
    }

    static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "body_too_large",
                 "the request body is larger than \(limit) bytes; send a smaller manifest (mount big files from storage) or start the router with a larger --max-body")
    }

    // MARK: Answered by the connection gate, before or instead of a handler

    static func tooManyConnections(limit: Int) -> APIError {
        var error = APIError(.serviceUnavailable, "too_many_connections",
                             "the router is busy with \(limit) requests in progress (its --max-connections); retry shortly")
        error.headers = [(.retryAfter, "1")]
        return error
    }

    static func requestTimeout(_ phase: RequestPhase, after limit: Duration) -> APIError {
        switch phase {
        case .header:
            return APIError(.requestTimeout, "request_timeout",
                            "the request's headers did not arrive within \(seconds(limit)) s of connecting (the router's --header-timeout); send the request as soon as the connection is open")
        case .body:
            return APIError(.requestTimeout, "request_timeout",
                            "the request's body did not arrive within \(seconds(limit)) s of its headers (the router's --body-timeout); send the whole body at once")
        }
    }

    /// An HTTP message the decoder could not read: headers over the limit get 431, the rest 400.
    static func malformed(_ error: HTTPParserError) -> APIError {
        switch error {
        case .headerOverflow:
            return APIError(.init(code: 431, reasonPhrase: "Request Header Fields Too Large"), "headers_too_large",
                            "the request's headers are larger than the router accepts (80 KiB in all); send fewer or shorter headers")
        case .invalidChunkSize, .invalidContentLength, .unexpectedContentLength, .invalidEOFState, .trailingGarbage:
            return APIError(.badRequest, "malformed_request",
                            "the request's body framing is invalid (\(error)); send a valid Content-Length or chunked body")
        default:
            return APIError(.badRequest, "malformed_request", "the request is not valid HTTP/1.1 (\(error))")
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? "\(Int(value))" : "\(value)"
    }
}

/// JSON bodies for the API's answers.
enum JSONBody {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func response<T: Encodable>(encoding value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        response(Array(try encoder.encode(value)) + [0x0A], status: status)
    }
}
