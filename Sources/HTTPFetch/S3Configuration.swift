import Foundation

/// The access key pair requests are signed with, plus the session token that temporary credentials carry.
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible {
    /// `AWS_ACCESS_KEY_ID`.
    public var accessKeyID: String
    /// `AWS_SECRET_ACCESS_KEY`.
    public var secretAccessKey: String
    /// `AWS_SESSION_TOKEN`, sent as `x-amz-security-token`; nil for long-term keys.
    public var sessionToken: String?

    /// Bundles a key pair and an optional session token.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Names the key id only, so credentials can be logged without leaking the secret or the token.
    public var description: String {
        "S3Credentials(\(accessKeyID), secret: <redacted>\(sessionToken == nil ? "" : ", session token: <redacted>"))"
    }
}

/// Where S3 is and what to sign requests with, normally read from the standard AWS environment variables.
///
/// Only the environment is read: no `~/.aws` profiles, instance metadata or web identity.
public struct S3Configuration: Sendable, Equatable {
    /// What requests are signed with.
    public let credentials: S3Credentials
    /// The region in the signature scope and in AWS host names, such as "eu-west-1".
    public let region: String
    /// A custom endpoint such as "http://127.0.0.1:9000" (MinIO, moto, a VPC endpoint), addressed path-style
    /// (`endpoint/bucket/key`); nil for AWS itself, addressed virtual-hosted
    /// (`https://bucket.s3.region.amazonaws.com/key`).
    public let endpoint: String?

    /// The region used when neither `AWS_REGION` nor `AWS_DEFAULT_REGION` is set, as the AWS CLI does.
    public static let defaultRegion = "us-east-1"

    /// A configuration from explicit values; the endpoint's trailing '/' is dropped.
    public init(credentials: S3Credentials, region: String = defaultRegion, endpoint: String? = nil) throws(S3Error) {
        // The region ends up inside libcurl's "aws:amz:<region>:s3" and in host names, so only region-shaped text.
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        guard !region.isEmpty, region.allSatisfy({ allowed.contains($0) }) else {
            throw S3Error(
                .invalidConfiguration, operation: "configuration", message: "region \"\(region)\" is not a region name",
                hint: "set AWS_REGION to a region such as us-east-1 or eu-west-1")
        }
        var trimmed = endpoint
        if let endpoint {
            let lowered = endpoint.lowercased()
            guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"),
                !endpoint.contains("?"), !endpoint.contains("#"), endpoint.count > "https://".count
            else {
                throw S3Error(
                    .invalidConfiguration, operation: "configuration",
                    message: "endpoint \"\(endpoint)\" is not an http:// or https:// URL",
                    hint: "set AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL to a URL such as http://127.0.0.1:9000")
            }
            while trimmed?.hasSuffix("/") == true { trimmed?.removeLast() }
        }
        self.credentials = credentials
        self.region = region
        self.endpoint = trimmed
    }

    /// A configuration from AWS environment variables.
    ///
    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (else
    /// `AWS_DEFAULT_REGION`, else us-east-1) and `AWS_ENDPOINT_URL_S3` (else `AWS_ENDPOINT_URL`). Empty values count
    /// as unset, as they do for the AWS CLI.
    public init(environment: [String: String]) throws(S3Error) {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        let keyID = value("AWS_ACCESS_KEY_ID")
        let secret = value("AWS_SECRET_ACCESS_KEY")
        guard let keyID, let secret else {
            let missing = [keyID == nil ? "AWS_ACCESS_KEY_ID" : nil, secret == nil ? "AWS_SECRET_ACCESS_KEY" : nil]
                .compactMap { $0 }
            throw S3Error(
                .missingCredentials, operation: "credentials",
                message: "\(missing.joined(separator: " and ")) \(missing.count == 1 ? "is" : "are") not set",
                hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary "
                    + "credentials); Bursar reads S3 credentials only from the environment")
        }
        try self.init(
            credentials: S3Credentials(
                accessKeyID: keyID, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN")),
            region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? Self.defaultRegion,
            endpoint: value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL"))
    }

    /// A configuration from this process's environment; see `init(environment:)`.
    public init() throws(S3Error) {
        try self.init(environment: ProcessInfo.processInfo.environment)
    }
}

extension S3Configuration {
    /// The URL of an object, or of the bucket itself when `key` is empty, with its query.
    ///
    /// The path and query are written in SigV4 canonical form (every byte but RFC 3986 unreserved characters
    /// percent-encoded, '/' kept in the path, parameters sorted by name) because libcurl 7.88 signs them exactly as
    /// written. Canonical text is also a fixed point for newer libcurl versions, which normalise before signing.
    func url(bucket: String, key: String, query: [(name: String, value: String)] = []) -> String {
        let path = key.isEmpty ? "" : "/" + Self.uriEncode(key, keepingSlash: true)
        var url: String
        if let endpoint {
            url = "\(endpoint)/\(bucket)\(path)"
        } else {
            let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
            if bucket.contains(".") {
                // A dotted name as a host label would not match the *.s3 TLS certificate, so it goes in the path.
                url = "https://s3.\(region).\(domain)/\(bucket)\(path)"
            } else {
                url = "https://\(bucket).s3.\(region).\(domain)\(path.isEmpty ? "/" : path)"
            }
        }
        if !query.isEmpty {
            let encoded: [(name: String, value: String)] = query.map { parameter in
                (
                    Self.uriEncode(parameter.name, keepingSlash: false),
                    Self.uriEncode(parameter.value, keepingSlash: false)
                )
            }
            // Encoded text is ASCII, so String order is the byte order SigV4 sorts by.
            let sorted = encoded.sorted { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
            url += "?" + sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        }
        return url
    }

    /// SigV4's URI encoding: every UTF-8 byte except A-Z a-z 0-9 - . _ ~ (and '/' in paths) becomes %XX, uppercase.
    static func uriEncode(_ text: String, keepingSlash: Bool) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var encoded = [UInt8]()
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.append(byte)
            case UInt8(ascii: "/") where keepingSlash:
                encoded.append(byte)
            default:
                encoded += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }
}
