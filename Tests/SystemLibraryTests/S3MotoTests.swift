import Foundation
import Gzip
import HTTPFetch
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real `moto_server` (moto's emulation of S3, IAM and STS) on 127.0.0.1, started for one suite.
///
/// It listens on port 0 and prints the port the kernel chose, so suites running side by side never collide.
final class MotoServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let log: URL

    /// Whether `moto_server` is on PATH.
    static var isInstalled: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/moto_server")
        }
    }

    /// On CI a missing moto_server is a failure, not a skip: the integration tests must not silently vanish.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    /// Starts a server and waits until it answers.
    /// - Parameter environment: extra variables for the server, such as `INITIAL_NO_AUTH_ACTION_COUNT`.
    init(environment: [String: String] = [:]) throws {
        guard Self.isInstalled else {
            throw MotoError("moto_server is not on PATH and CI is set; scripts/setup.sh installs it (moto[server])")
        }
        log = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-moto-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw MotoError("cannot create \(log.path)")
        }
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }

        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", "0"]
        var variables = ProcessInfo.processInfo.environment
        variables["INITIAL_NO_AUTH_ACTION_COUNT"] = nil  // only what the suite asks for
        process.environment = variables.merging(environment) { $1 }
        // A file, not a pipe: moto logs every request, and a pipe nobody drains would block it once full.
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            try? FileManager.default.removeItem(at: log)
            throw error
        }

        var port: Int?
        let deadline = ContinuousClock.now + .seconds(30)
        while port == nil && process.isRunning && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("Running on http://127.0.0.1:") }) {
                port = Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces))
            }
        }
        guard let port else {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            Self.kill(process)
            try? FileManager.default.removeItem(at: log)
            throw MotoError("moto_server did not start:\n\(text)")
        }
        self.port = port

        // The port line comes once the socket listens; wait for an actual answer. /moto-api/ is moto's own
        // dashboard, so these requests do not count against INITIAL_NO_AUTH_ACTION_COUNT.
        let fetcher = try HTTPFetcher(timeout: .seconds(5), connectTimeout: .seconds(2))
        while (try? fetcher.get(url: "\(endpoint)/moto-api/"))?.status != 200 {
            guard ContinuousClock.now < deadline else {
                stop()
                throw MotoError("moto_server on port \(port) does not answer")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Stops the server and waits for it.
    func stop() {
        Self.kill(process)
        try? FileManager.default.removeItem(at: log)
    }

    /// SIGKILL, because a child spawned from a Swift Testing worker inherits a mask with SIGTERM blocked (see
    /// `LocalHTTPServer`), and moto keeps everything in memory, so there is nothing to shut down cleanly.
    private static func kill(_ process: Process) {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    deinit {
        stop()
    }
}

struct MotoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A running moto_server with a bucket and objects, shared by the tests of one suite.
struct MotoFixture: Sendable {
    let server: MotoServer
    let bucket: String
    /// An IAM user's key pair when signatures are verified; any pair otherwise.
    let credentials: S3Credentials
    /// Temporary credentials from STS AssumeRole (only when signatures are verified).
    let sessionCredentials: S3Credentials?

    @TaskLocal static var current: MotoFixture?

    func configuration(_ credentials: S3Credentials? = nil) throws -> S3Configuration {
        try S3Configuration(environment: environment(credentials ?? self.credentials))
    }

    /// The variables a user would set, so each test goes through `S3Configuration(environment:)`.
    func environment(_ credentials: S3Credentials) -> [String: String] {
        var environment = [
            "AWS_ACCESS_KEY_ID": credentials.accessKeyID, "AWS_SECRET_ACCESS_KEY": credentials.secretAccessKey,
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": server.endpoint,
        ]
        environment["AWS_SESSION_TOKEN"] = credentials.sessionToken
        return environment
    }

    func client(_ credentials: S3Credentials? = nil, maxBodyBytes: Int = 1 << 30) throws -> S3Client {
        try S3Client(
            bucket: bucket, configuration: configuration(credentials), timeout: .seconds(30),
            maxBodyBytes: maxBodyBytes)
    }

    /// Creates the IAM identities (when verifying) and the bucket with boto3, which ships with moto. Objects are
    /// written afterwards through `S3Client.put`, so uploads are signed by the code under test.
    ///
    /// moto checks signatures only after INITIAL_NO_AUTH_ACTION_COUNT requests: the first three create an IAM user,
    /// its policy and its access key, and every request after them must be signed with that key. With the variable
    /// unset, moto accepts any signature.
    private static let setupScript = """
        import boto3, json, sys
        endpoint, bucket, verify = sys.argv[1], sys.argv[2], sys.argv[3] == "verify"
        def client(service, key="unchecked", secret="unchecked", token=None):
            return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                                aws_secret_access_key=secret, aws_session_token=token)
        allow = lambda action: json.dumps({"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
        result = {"id": "AKIAUNCHECKED", "secret": "unchecked"}
        if verify:
            iam = client("iam")
            user = iam.create_user(UserName="bursar")["User"]
            iam.put_user_policy(UserName="bursar", PolicyName="everything", PolicyDocument=allow("*"))
            key = iam.create_access_key(UserName="bursar")["AccessKey"]
            result = {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
            iam = client("iam", result["id"], result["secret"])
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                     "Principal": {"AWS": user["Arn"]}}]}
            role = iam.create_role(RoleName="bursar-reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
            iam.put_role_policy(RoleName="bursar-reader", PolicyName="s3", PolicyDocument=allow("s3:*"))
            session = client("sts", result["id"], result["secret"]).assume_role(
                RoleArn=role["Arn"], RoleSessionName="bursar-tests")["Credentials"]
            result["session"] = {"id": session["AccessKeyId"], "secret": session["SecretAccessKey"],
                                 "token": session["SessionToken"]}
        client("s3", result["id"], result["secret"]).create_bucket(Bucket=bucket)
        print(json.dumps(result))
        """

    static func start(bucket: String, verifySignatures: Bool) throws -> MotoFixture {
        let server = try MotoServer(environment: verifySignatures ? ["INITIAL_NO_AUTH_ACTION_COUNT": "3"] : [:])
        do {
            let setup = try Support.run(
                "python3", ["-c", setupScript, server.endpoint, bucket, verifySignatures ? "verify" : "open"])
            guard setup.status == 0 else { throw MotoError("moto setup failed (exit \(setup.status))") }
            let result = try JSONDecoder().decode(SetupResult.self, from: Data(setup.output))
            return MotoFixture(
                server: server, bucket: bucket,
                credentials: S3Credentials(accessKeyID: result.id, secretAccessKey: result.secret),
                sessionCredentials: result.session.map {
                    S3Credentials(accessKeyID: $0.id, secretAccessKey: $0.secret, sessionToken: $0.token)
                })
        } catch {
            server.stop()
            throw error
        }
    }

    private struct SetupResult: Decodable {
        struct Session: Decodable {
            let id: String
            let secret: String
            let token: String
        }

        let id: String
        let secret: String
        let session: Session?
    }
}

/// Starts a moto_server with a bucket and objects once for a whole suite, and always stops it afterwards.
struct MotoSuiteScope: SuiteTrait, TestScoping {
    let bucket: String
    let verifySignatures: Bool
    /// Writes the suite's objects through the client under test.
    let populate: @Sendable (S3Client) throws -> Void

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let fixture = try MotoFixture.start(bucket: bucket, verifySignatures: verifySignatures)
        defer { fixture.server.stop() }
        try populate(fixture.client())
        try await MotoFixture.$current.withValue(fixture) {
            try await function()
        }
    }
}

extension Trait where Self == MotoSuiteScope {
    static func motoServer(
        bucket: String, verifySignatures: Bool, populate: @escaping @Sendable (S3Client) throws -> Void
    ) -> Self {
        MotoSuiteScope(bucket: bucket, verifySignatures: verifySignatures, populate: populate)
    }
}

/// What each suite's bucket holds, written through `S3Client.put` before the suite's tests run.
private enum BucketContents {
    /// Keys moto can verify signatures for.
    @Sendable static func signed(_ client: S3Client) throws {
        for index in 0..<23 { try client.put(key: String(format: "run-a-%03d.json", index), bytes: body(index)) }
        for index in 0..<4 { try client.put(key: "run-b-\(index).json", bytes: body(100 + index)) }
        try client.put(key: "run-a", bytes: body(200))
        try client.put(
            key: "reports/daily summary 2024.csv", bytes: Array("queue,hours\nroot.a,12\n".utf8),
            contentType: "text/csv")
        try client.put(
            key: "archive/apps.json.gz", bytes: gzipPayload, contentType: "application/json", contentEncoding: "gzip")
    }

    /// More than one default page under a prefix with '/', neighbours that must not match it, and odd keys.
    @Sendable static func open(_ client: S3Client) throws {
        for index in 0..<1100 {
            try client.put(key: String(format: "logs/2024/05/part-%04d.json", index), bytes: body(index % 50))
        }
        try client.put(key: "logs/2024-summary.json", bytes: body(1))
        try client.put(key: "logs/2023/05/part-0000.json", bytes: body(2))
        for (index, key) in oddKeys.enumerated() {
            try client.put(key: key, bytes: body(300 + index))
        }
    }

    static let oddKeys = [
        "reports/Zürich café/été ☃ 2024 (final).csv",
        "reports/a+b=c&d;e,f@g$h!i'j*k(l)m~n.txt",
        "reports/what?#anchor%20literal 100%.txt",
        "reports/quotes \"and\" <angles>.txt",
        // Dot segments are ordinary key characters; libcurl must not resolve them away (CURLOPT_PATH_AS_IS).
        "reports/odd/../dots/./x.txt",
    ]
}

/// Small bodies whose sizes differ, so a listing that mixes up entries shows it.
private func body(_ index: Int) -> [UInt8] {
    Array("object \(index)\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: index)
}

/// A gzip stream, as ingestion reads them: it must come back byte for byte, never transparently decompressed.
private let gzipPayload: [UInt8] = {
    let text = (0..<2000).map { "spark app-\($0) queue=root.org.proj.tier1 vcore=4 memory=8Gi\n" }.joined()
    return try! Gzip.compress(Array(text.utf8))
}()

/// Against moto with signature verification on: every request here is checked against an IAM user's key, so a
/// wrong signature is rejected, not waved through.
///
/// moto 5.2 recomputes the signature from a URL it has already percent-decoded (werkzeug's `request.url`), so it
/// also rejects correctly signed requests whose key has non-ASCII or reserved characters, or whose query has '/'
/// (as `prefix=logs%2F` does) — boto3's own requests fail the same way. Those keys are exercised by
/// `S3MotoUnverifiedTests`; the keys here keep to what moto can verify (letters, digits, '-', '.', ' ' and '/').
@Suite(
    "S3 against moto, signatures verified",
    .enabled(if: MotoServer.isInstalled || MotoServer.isRequired, "moto_server is not on PATH (CI unset: skipped)"),
    .motoServer(bucket: "bursar-signed", verifySignatures: true, populate: BucketContents.signed))
struct S3MotoVerifiedTests {
    var fixture: MotoFixture { MotoFixture.current! }

    @Test func listsAPrefixAcrossPages() throws {
        let client = try fixture.client()
        // 23 matching keys at 5 per page: five requests, each after the first carrying a continuation token.
        let objects = try client.list(prefix: "run-a-", pageSize: 5)
        #expect(objects.map(\.key) == (0..<23).map { String(format: "run-a-%03d.json", $0) })
        #expect(objects.map(\.size) == (0..<23).map { body($0).count })
        #expect(objects.allSatisfy { $0.etag.count == 32 && $0.etag.allSatisfy(\.isHexDigit) })
        #expect(objects.allSatisfy { $0.lastModified.hasSuffix("Z") })
        // Different contents, different MD5 entity tags.
        #expect(Set(objects.map(\.etag)).count == 23)

        let everything = try client.list()
        #expect(everything.count == 23 + 4 + 3)
        #expect(everything.map(\.key) == everything.map(\.key).sorted())
        #expect(try client.list(prefix: "nothing-here").isEmpty)
    }

    @Test func getsObjectsByteForByte() throws {
        let client = try fixture.client()
        #expect(try client.get(key: "reports/daily summary 2024.csv") == Array("queue,hours\nroot.a,12\n".utf8))
        #expect(try client.get(key: "run-a-007.json") == body(7))
        // Stored with Content-Encoding: gzip; the fetcher never asks libcurl to decode, so the bytes are the stream.
        let gzipped = try client.get(key: "archive/apps.json.gz")
        #expect(gzipped == gzipPayload)
        #expect(Gzip.isGzip(gzipped))
    }

    @Test func aWrongSecretIsRejectedWithAClearError() throws {
        let wrong = S3Credentials(accessKeyID: fixture.credentials.accessKeyID, secretAccessKey: "not-the-secret")
        let client = try fixture.client(wrong)
        for attempt in [{ _ = try client.get(key: "run-a-000.json") }, { _ = try client.list(prefix: "run-") }] {
            let error = try #require(throws: S3Error.self) { try attempt() }
            #expect(error.kind == .service)
            #expect(error.status == 403)
            #expect(error.code == "SignatureDoesNotMatch")
            #expect(error.description.contains("403 SignatureDoesNotMatch: The request signature we calculated"))
            #expect(error.description.contains("check AWS_SECRET_ACCESS_KEY"))
            #expect(!error.description.contains("not-the-secret"))
        }

        let unknown = try fixture.client(S3Credentials(accessKeyID: "AKIAUNKNOWN000000000", secretAccessKey: "x"))
        let error = try #require(throws: S3Error.self) { try unknown.get(key: "run-a-000.json") }
        #expect(error.status == 403)
        #expect(error.code == "InvalidAccessKeyId")
        #expect(error.description.hasPrefix("S3 GET s3://bursar-signed/run-a-000.json: 403 InvalidAccessKeyId: "))
        #expect(error.description.contains("check AWS_ACCESS_KEY_ID"))
    }

    @Test func sessionTokensAreSentAndSigned() throws {
        let session = try #require(fixture.sessionCredentials)
        #expect(try fixture.client(session).get(key: "run-a-001.json") == body(1))
        #expect(try fixture.client(session).list(prefix: "run-b-").count == 4)

        var forged = session
        forged.sessionToken = "forged" + (session.sessionToken ?? "")
        let invalid = try #require(throws: S3Error.self) { try fixture.client(forged).get(key: "run-a-001.json") }
        #expect(invalid.code == "InvalidToken")
        #expect(invalid.description.contains("AWS_SESSION_TOKEN is invalid or expired"))

        // Without its token, a temporary key is unknown.
        var tokenless = session
        tokenless.sessionToken = nil
        let unknown = try #require(throws: S3Error.self) { try fixture.client(tokenless).get(key: "run-a-001.json") }
        #expect(unknown.status == 403)
    }

    @Test func missingBucketsAndKeysAreClearErrors() throws {
        let configuration = try fixture.configuration()
        let missing = try S3Client(bucket: "no-such-bucket", configuration: configuration)
        let listError = try #require(throws: S3Error.self) { try missing.list(prefix: "x") }
        #expect(listError.status == 404)
        #expect(listError.code == "NoSuchBucket")
        #expect(listError.description.hasPrefix("S3 LIST s3://no-such-bucket/x: 404 NoSuchBucket: "))
        #expect(listError.description.contains("check the bucket name"))
        let getError = try #require(throws: S3Error.self) { try missing.get(key: "k") }
        #expect(getError.code == "NoSuchBucket")

        let keyError = try #require(throws: S3Error.self) { try fixture.client().get(key: "run-a-999.json") }
        #expect(keyError.status == 404)
        #expect(keyError.code == "NoSuchKey")
        #expect(keyError.description.contains("s3://bursar-signed/run-a-999.json"))
    }

    @Test func bodiesOverTheLimitFail() throws {
        let small = try fixture.client(maxBodyBytes: 100)
        #expect(try small.get(key: "run-a-005.json") == body(5))
        let error = try #require(throws: S3Error.self) { try small.get(key: "archive/apps.json.gz") }
        #expect(error.kind == .bodyTooLarge)
        #expect(error.description.contains("raise the client's maxBodyBytes"))
    }

    @Test func missingCredentialsStopBeforeAnyRequest() throws {
        var environment = fixture.environment(fixture.credentials)
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        let error = try #require(throws: S3Error.self) { try S3Configuration(environment: environment) }
        #expect(error.kind == .missingCredentials)
        #expect(error.description.contains("AWS_SECRET_ACCESS_KEY is not set"))
    }
}

/// Keys and prefixes moto 5.2 cannot verify signatures for (see `S3MotoVerifiedTests`), against a moto that
/// accepts any signature: this checks the encoding reaches the right object and the listing parses, and the unit
/// tests check the encoding is SigV4's canonical form. Also the default page size, with 1100 objects.
@Suite(
    "S3 against moto, any signature accepted",
    .enabled(if: MotoServer.isInstalled || MotoServer.isRequired, "moto_server is not on PATH (CI unset: skipped)"),
    .motoServer(bucket: "bursar-open", verifySignatures: false, populate: BucketContents.open))
struct S3MotoUnverifiedTests {
    var fixture: MotoFixture { MotoFixture.current! }

    @Test func followsTheDefaultPageSizeUnderASlashPrefix() throws {
        let objects = try fixture.client().list(prefix: "logs/2024/")
        #expect(objects.count == 1100)
        #expect(objects.map(\.key) == (0..<1100).map { String(format: "logs/2024/05/part-%04d.json", $0) })
        #expect(objects.map(\.size) == (0..<1100).map { body($0 % 50).count })
    }

    @Test func getsAndListsKeysWithSpacesUnicodeAndReservedCharacters() throws {
        let client = try fixture.client()
        for (index, key) in BucketContents.oddKeys.enumerated() {
            #expect(try client.get(key: key) == body(300 + index), "\(key)")
        }
        #expect(try client.list(prefix: "reports/").map(\.key) == BucketContents.oddKeys.sorted())
        #expect(try client.list(prefix: "reports/Zürich café/").map(\.key) == [BucketContents.oddKeys[0]])
    }
}
