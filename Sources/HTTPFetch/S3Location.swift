/// An `s3://bucket/key` address: a bucket, and an object key or key prefix within it.
///
/// The key is taken literally, without percent-decoding, as the AWS CLI does: `s3://logs/a%20b` names the key
/// `a%20b`. Fetch it with `S3Client`; `HTTPFetcher` only speaks `http://` and `https://`.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    /// The bucket name.
    public let bucket: String
    /// The object key or key prefix; empty for the whole bucket.
    public let key: String

    /// The longest key S3 accepts, in UTF-8 bytes.
    static let maxKeyBytes = 1024

    /// Parses `s3://bucket`, `s3://bucket/` or `s3://bucket/key-or-prefix`.
    public init(parsing text: String) throws(S3Error) {
        let operation = "location \"\(text)\""
        guard let schemeEnd = text.range(of: "://"), text[..<schemeEnd.lowerBound].lowercased() == "s3" else {
            throw S3Error(
                .invalidLocation, operation: operation, message: "not an s3:// location",
                hint: "write s3://bucket/key (http:// and https:// URLs are fetched with HTTPFetcher)")
        }
        let rest = text[schemeEnd.upperBound...]
        let bucket = rest.prefix { $0 != "/" }
        let key = rest.dropFirst(bucket.count).dropFirst()
        try self.init(bucket: String(bucket), key: String(key), operation: operation)
    }

    /// A location from its parts, checked as `init(parsing:)` checks them.
    public init(bucket: String, key: String) throws(S3Error) {
        try self.init(bucket: bucket, key: key, operation: "location s3://\(bucket)/\(key)")
    }

    private init(bucket: String, key: String, operation: String) throws(S3Error) {
        if let problem = Self.bucketProblem(bucket) {
            throw S3Error(
                .invalidLocation, operation: operation, message: problem,
                hint: "write s3://bucket/key; bucket names are 3-63 lowercase letters, digits, '.' and '-', "
                    + "starting and ending with a letter or digit")
        }
        if key.utf8.count > Self.maxKeyBytes {
            throw S3Error(
                .invalidLocation, operation: operation,
                message: "the key is \(key.utf8.count) bytes long; S3 keys are at most \(Self.maxKeyBytes)")
        }
        self.bucket = bucket
        self.key = key
    }

    /// "s3://bucket/key".
    public var description: String { "s3://\(bucket)/\(key)" }

    /// What is wrong with a bucket name under S3's naming rules, or nil when it is valid.
    ///
    /// Checked before any request because a name with '/', '?' or uppercase letters would otherwise reach S3 as a
    /// different path or host and fail with a confusing error (or a signature mismatch).
    static func bucketProblem(_ bucket: String) -> String? {
        if bucket.isEmpty { return "the bucket name is missing" }
        let bytes = Array(bucket.utf8)
        guard (3...63).contains(bytes.count) else {
            return "bucket name \"\(bucket)\" has \(bytes.count) characters; S3 allows 3 to 63"
        }
        func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard bytes.allSatisfy({ isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else {
            return "bucket name \"\(bucket)\" has characters S3 does not allow"
        }
        guard isLowerAlphanumeric(bytes.first!), isLowerAlphanumeric(bytes.last!) else {
            return "bucket name \"\(bucket)\" must start and end with a letter or digit"
        }
        if bucket.contains("..") { return "bucket name \"\(bucket)\" has two adjacent periods" }
        return nil
    }
}
