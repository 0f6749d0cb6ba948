import Testing

@testable import HTTPFetch

/// The parts of the S3 client that need no server: locations, configuration, URL encoding, XML and errors.
@Suite("S3 (no server)")
struct S3Tests {
    // MARK: - Locations

    struct LocationCase: Sendable, CustomTestStringConvertible {
        let text: String
        let bucket: String
        let key: String
        var testDescription: String { text }
    }

    @Test(arguments: [
        LocationCase(text: "s3://logs", bucket: "logs", key: ""),
        LocationCase(text: "s3://logs/", bucket: "logs", key: ""),
        LocationCase(text: "S3://logs/spark/2024/", bucket: "logs", key: "spark/2024/"),
        LocationCase(text: "s3://my.logs-01/a b/Zürich ☃.json.gz", bucket: "my.logs-01", key: "a b/Zürich ☃.json.gz"),
        // Keys are literal: no percent-decoding, and a doubled slash is part of the key.
        LocationCase(text: "s3://logs/a%20b//c?d#e", bucket: "logs", key: "a%20b//c?d#e"),
    ])
    func parsesLocations(_ testCase: LocationCase) throws {
        let location = try S3Location(parsing: testCase.text)
        #expect(location.bucket == testCase.bucket)
        #expect(location.key == testCase.key)
        #expect(location.description == "s3://\(testCase.bucket)/\(testCase.key)")
    }

    struct BadLocationCase: Sendable, CustomTestStringConvertible {
        let text: String
        let messageContains: String
        var testDescription: String { text }
    }

    @Test(arguments: [
        BadLocationCase(text: "logs/key", messageContains: "not an s3:// location"),
        BadLocationCase(text: "https://logs.s3.amazonaws.com/key", messageContains: "not an s3:// location"),
        BadLocationCase(text: "s3://", messageContains: "bucket name is missing"),
        BadLocationCase(text: "s3:///key", messageContains: "bucket name is missing"),
        BadLocationCase(text: "s3://ab/key", messageContains: "has 2 characters"),
        BadLocationCase(text: "s3://\(String(repeating: "a", count: 64))", messageContains: "has 64 characters"),
        BadLocationCase(text: "s3://My_Logs/key", messageContains: "characters S3 does not allow"),
        BadLocationCase(text: "s3://logs?x/key", messageContains: "characters S3 does not allow"),
        BadLocationCase(text: "s3://-logs/key", messageContains: "start and end with a letter or digit"),
        BadLocationCase(text: "s3://my..logs/key", messageContains: "two adjacent periods"),
        BadLocationCase(text: "s3://logs/\(String(repeating: "é", count: 513))", messageContains: "1026 bytes"),
    ])
    func rejectsBadLocations(_ testCase: BadLocationCase) throws {
        let error = try #require(throws: S3Error.self) { try S3Location(parsing: testCase.text) }
        #expect(error.kind == .invalidLocation)
        #expect(error.message.contains(testCase.messageContains), "\(error)")
        #expect(error.description.hasPrefix("S3 location \"\(testCase.text)\": "), "\(error)")
        #expect(error.hint?.contains("s3://bucket/key") == true || error.message.contains("bytes"), "\(error)")
    }

    // MARK: - Configuration

    private static let keys = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret/Key+1"]

    @Test func readsTheEnvironmentWithAWSPrecedence() throws {
        let plain = try S3Configuration(environment: Self.keys)
        #expect(plain.credentials == S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret/Key+1"))
        #expect(plain.region == "us-east-1")
        #expect(plain.endpoint == nil)

        let full = try S3Configuration(
            environment: Self.keys.merging([
                "AWS_SESSION_TOKEN": "token==", "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2",
                "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000/", "AWS_ENDPOINT_URL": "http://elsewhere:1",
            ]) { $1 })
        #expect(full.credentials.sessionToken == "token==")
        #expect(full.region == "eu-west-1")
        #expect(full.endpoint == "http://127.0.0.1:9000")

        let fallbacks = try S3Configuration(
            environment: Self.keys.merging([
                "AWS_REGION": "", "AWS_DEFAULT_REGION": "us-west-2", "AWS_ENDPOINT_URL": "https://minio.internal",
                "AWS_ENDPOINT_URL_S3": "", "AWS_SESSION_TOKEN": "",
            ]) { $1 })
        #expect(fallbacks.region == "us-west-2")
        #expect(fallbacks.endpoint == "https://minio.internal")
        #expect(fallbacks.credentials.sessionToken == nil)
    }

    @Test func missingCredentialsNameTheVariables() throws {
        let neither = try #require(throws: S3Error.self) {
            try S3Configuration(environment: ["AWS_REGION": "eu-west-1"])
        }
        #expect(neither.kind == .missingCredentials)
        #expect(neither.message == "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        #expect(neither.description.contains("AWS_SESSION_TOKEN"))

        let noSecret = try #require(throws: S3Error.self) {
            try S3Configuration(environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": ""])
        }
        #expect(noSecret.message == "AWS_SECRET_ACCESS_KEY is not set")
        #expect(noSecret.description.hasPrefix("S3 credentials: AWS_SECRET_ACCESS_KEY is not set — set "))
    }

    @Test func rejectsUnusableRegionsAndEndpointsAndHidesSecrets() throws {
        for (name, value) in [
            ("AWS_REGION", "eu west"), ("AWS_REGION", "x:y"), ("AWS_ENDPOINT_URL", "ftp://x"),
            ("AWS_ENDPOINT_URL", "127.0.0.1:9000"), ("AWS_ENDPOINT_URL", "http://h/?a=b"),
        ] {
            let error = try #require(throws: S3Error.self) {
                try S3Configuration(environment: Self.keys.merging([name: value]) { $1 })
            }
            #expect(error.kind == .invalidConfiguration)
            #expect(error.description.contains(value), "\(error)")
        }
        let credentials = S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "s3cr3t", sessionToken: "t0k3n")
        #expect(!"\(credentials)".contains("s3cr3t"))
        #expect(!"\(credentials)".contains("t0k3n"))
        #expect("\(credentials)".contains("AKIDEXAMPLE"))
    }

    // MARK: - URLs in SigV4 canonical form

    @Test func encodesLikeSigV4() {
        // RFC 3986 unreserved characters stay; everything else is %XX with uppercase hex, UTF-8 byte by byte.
        #expect(S3Configuration.uriEncode("AZaz09-._~", keepingSlash: false) == "AZaz09-._~")
        #expect(S3Configuration.uriEncode("a b+c=d&e/f", keepingSlash: false) == "a%20b%2Bc%3Dd%26e%2Ff")
        #expect(S3Configuration.uriEncode("a b+c=d&e/f", keepingSlash: true) == "a%20b%2Bc%3Dd%26e/f")
        #expect(S3Configuration.uriEncode("ü☃*%?#", keepingSlash: true) == "%C3%BC%E2%98%83%2A%25%3F%23")
    }

    @Test func buildsPathStyleAndVirtualHostedURLs() throws {
        let custom = try S3Configuration(
            credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"), endpoint: "http://127.0.0.1:9000/")
        #expect(custom.url(bucket: "logs", key: "a b/ü.json") == "http://127.0.0.1:9000/logs/a%20b/%C3%BC.json")
        // Query parameters are sorted by name, so libcurl signs them in canonical order.
        #expect(
            custom.url(
                bucket: "logs", key: "",
                query: [("prefix", "spark/2024 05/"), ("list-type", "2"), ("continuation-token", "1/a+b=")])
                == "http://127.0.0.1:9000/logs?continuation-token=1%2Fa%2Bb%3D&list-type=2&prefix=spark%2F2024%2005%2F")

        let aws = try S3Configuration(
            credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"), region: "eu-west-1")
        #expect(aws.url(bucket: "logs", key: "x/y.gz") == "https://logs.s3.eu-west-1.amazonaws.com/x/y.gz")
        #expect(
            aws.url(bucket: "logs", key: "", query: [("list-type", "2")])
                == "https://logs.s3.eu-west-1.amazonaws.com/?list-type=2")
        #expect(aws.url(bucket: "my.logs", key: "k") == "https://s3.eu-west-1.amazonaws.com/my.logs/k")
        let china = try S3Configuration(
            credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"), region: "cn-north-1")
        #expect(china.url(bucket: "logs", key: "k") == "https://logs.s3.cn-north-1.amazonaws.com.cn/k")
    }

    // MARK: - XML

    @Test func parsesAListingPageWithEntities() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>logs</Name><Prefix/>\
            <KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>\
            <Contents><Key>a &amp; b/&lt;x&gt; &#x2603;&#233;.json</Key>\
            <LastModified>2024-05-01T12:00:00.000Z</LastModified>\
            <ETag>&quot;5eb63bbbe01eeed093cb22bb8f5acdc3&quot;</ETag><Size>11</Size>\
            <StorageClass>STANDARD</StorageClass></Contents>\
            <Contents>
              <Key>big.gz</Key><LastModified>2024-05-02T00:00:00.000Z</LastModified>
              <ETag>"0123-2"</ETag><Size>5368709120</Size>
            </Contents>\
            <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>\
            </ListBucketResult>
            """
        let page = try S3XML.listPage(Array(xml.utf8))
        #expect(page.isTruncated)
        #expect(page.nextContinuationToken == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        #expect(
            page.objects == [
                S3Object(
                    key: "a & b/<x> ☃é.json", size: 11, etag: "5eb63bbbe01eeed093cb22bb8f5acdc3",
                    lastModified: "2024-05-01T12:00:00.000Z"),
                S3Object(key: "big.gz", size: 5_368_709_120, etag: "0123-2", lastModified: "2024-05-02T00:00:00.000Z"),
            ])

        let last = try S3XML.listPage(
            Array(
                "<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>".utf8))
        #expect(last == S3XML.ListPage(objects: [], isTruncated: false, nextContinuationToken: nil))
    }

    @Test func rejectsBodiesThatAreNotListings() {
        let cases = [
            ("<html><body>502 Bad Gateway</body></html>", "not a ListBucketResult"),
            ("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>", "has no <Key>"),
            (
                "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
                "no valid <Size>"
            ),
            ("<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>", "<IsTruncated> is \"maybe\""),
        ]
        for (body, reason) in cases {
            let error = #expect(throws: S3XML.Malformed.self) { try S3XML.listPage(Array(body.utf8)) }
            #expect(error?.reason.contains(reason) == true, "\(body)")
        }
    }

    @Test func mapsErrorDocumentsToErrorsWithAdvice() {
        let body = Array(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>AuthorizationHeaderMalformed</Code><Message>the region &apos;us-east-1&apos; is wrong; \
            expecting &apos;eu-west-1&apos;</Message><Region>eu-west-1</Region>\
            <RequestId>4442587FB7D0A2F9</RequestId></Error>
            """.utf8)
        let error = S3Error.service(operation: "GET s3://logs/k", status: 400, body: body, url: "https://logs.s3/k")
        #expect(error.kind == .service)
        #expect(error.code == "AuthorizationHeaderMalformed")
        #expect(
            error.description
                == "S3 GET s3://logs/k: 400 AuthorizationHeaderMalformed: the region 'us-east-1' is wrong; expecting "
                + "'eu-west-1' — the bucket is in eu-west-1: set AWS_REGION=eu-west-1")
        #expect(error.debugDescription.hasSuffix("[url: https://logs.s3/k] [request id: 4442587FB7D0A2F9]"))

        let bare = S3Error.service(operation: "GET s3://logs/k", status: 403, body: [], url: "u")
        #expect(
            bare.description
                == "S3 GET s3://logs/k: 403 access denied — check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
    }

    @Test func reportsAnUnreachableEndpointAsTransport() throws {
        // Port 1 on loopback has no listener, so the connection is refused at once.
        let configuration = try S3Configuration(
            credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"), endpoint: "http://127.0.0.1:1")
        let client = try S3Client(bucket: "logs", configuration: configuration, timeout: .seconds(5))
        let error = try #require(throws: S3Error.self) { try client.get(key: "k") }
        #expect(error.kind == .transport)
        #expect(error.description.hasPrefix("S3 GET s3://logs/k: no response (curl 7): "))
        #expect(error.hint?.contains("AWS_ENDPOINT_URL") == true)

        // Plain fetches of s3:// URLs point at the client that can sign them.
        let plain = try #require(throws: HTTPFetchError.self) { try HTTPFetcher().get(url: "s3://logs/k") }
        #expect(plain.message.contains("S3Client"))

        let noKey = try #require(throws: S3Error.self) { try client.get(key: "") }
        #expect(noKey.kind == .invalidLocation)
        #expect(throws: S3Error.self) { try S3Client(bucket: "Bad_Bucket", configuration: configuration) }
    }
}
