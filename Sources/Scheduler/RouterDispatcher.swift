import Foundation
import HTTPFetch
import SourceDocuments
public import Workflows

/// Sends Spark job attempts through the router's `POST /v1/submissions`, with the scheduler's own token and
/// the attempt's idempotency key: the router routes, records and submits each one, and answers a repeated key
/// (a resubmission after a crash) with the first answer instead of submitting again.
public final class RouterDispatcher: JobDispatcher {
    public let router: String
    public let token: String
    /// libcurl handles (each keeps its connection to the router), one per dispatch in progress.
    private let pool: FetcherPool

    /// `router` is the base URL (`http://127.0.0.1:8080`).
    public init(router: String, token: String, timeoutSeconds: Int = 30) {
        self.router = router.hasSuffix("/") ? String(router.dropLast()) : router
        self.token = token
        pool = FetcherPool(timeout: .seconds(timeoutSeconds), maxBodyBytes: 1 << 20, keep: 32)
    }

    public func dispatch(_ attempt: DispatchAttempt) throws -> DispatchReceipt {
        let document: SourceNode
        switch attempt.action {
        case .spark(let spec):
            document = SparkSpec.compactDocument(spec, identity: attempt.identity)
        case .sparkFile(let path):
            let read: (file: String, text: String)
            switch PipelineFiles.readSparkFile(definition: attempt.definitionFile, path: path) {
            case .success(let found): read = found
            case .failure(let problem): throw DispatchRefusal(description: "\(problem)", retryable: false)
            }
            let root: SourceNode?
            do { root = try YAMLSource.parse(read.text, limits: .submission) } catch {
                throw DispatchRefusal(description: "\(error.problem(file: read.file))", retryable: false)
            }
            guard let root else { throw DispatchRefusal(description: "\(read.file) is empty", retryable: false) }
            switch SparkSpec.applicationDocument(root, identity: attempt.identity) {
            case .success(let labelled): document = labelled
            case .failure(let error): throw DispatchRefusal(description: "\(error.problem(file: read.file))", retryable: false)
            }
        case .bursar(let step):
            throw DispatchRefusal(description: "the built-in step \(step.rawValue) is run by the scheduler, not the router", retryable: false)
        }
        let request = FetchRequest(method: .post, url: router + "/v1/submissions",
                                   headers: ["Content-Type: application/json", "Idempotency-Key: " + attempt.idempotencyKey],
                                   body: SparkSpec.jsonBody(document), bearerToken: token)
        let response: FetchResponse
        do {
            response = try pool.perform(request)
        } catch {
            throw DispatchRefusal(description: "cannot reach the router at \(router): \(error)", retryable: true)
        }
        let answer = try? JSONSource.parse(Self.head(of: response.body))
        guard (200..<300).contains(response.status) else {
            let message = answer?["error"]?["message"]?.string ?? String(decoding: response.body.prefix(300), as: UTF8.self)
            throw DispatchRefusal(description: "the router answered \(response.status): \(message)",
                          retryable: response.status >= 500 || response.status == 429)
        }
        guard let appID = answer?["app_id"]?.string else {
            throw DispatchRefusal(description: "the router's answer has no app_id", retryable: true)
        }
        let cluster = answer?["cluster"]?.string ?? answer?["decision"]?["cluster"]?.string ?? ""
        return DispatchReceipt(appID: appID, cluster: cluster, namespace: answer?["decision"]?["namespace"]?.string)
    }
}

extension RouterDispatcher {
    /// The router's answer without the manifest it echoes last (`…,"manifest":{…}}`): everything the dispatcher
    /// reads comes before it, so the manifest is not parsed for every dispatch. The marker cannot occur inside an
    /// earlier string (its quotes would be escaped); an answer without it is returned whole.
    static func head(of body: [UInt8]) -> [UInt8] {
        guard let marker = body.firstRange(of: Array(#","manifest":"#.utf8)) else { return body }
        return Array(body[..<marker.lowerBound]) + [0x7D]
    }
}
