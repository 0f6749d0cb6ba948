import JSONText
import Timestamps

/// The fields of a Kubernetes object answer that Bursar reads (metadata, a SparkApplication's status, a Status
/// object's code), taken in one pass with `JSONReader`: the spec and everything else is skipped without being
/// built. A watch sends the whole object with every change, so this is what keeps reading thousands of changes
/// a second cheap.
struct KubernetesObjectFields: Equatable {
    var kind: String?
    var name: String?
    var namespace: String?
    var uid: String?
    var resourceVersion: String?
    /// String-valued labels (others ignored).
    var labels: [String: String] = [:]
    /// `.status.applicationState.state` and `.errorMessage`.
    var state: String?
    var errorMessage: String?
    var sparkApplicationID: String?
    var lastSubmissionAttemptTime: String?
    var terminationTime: String?
    /// A `Status` object's (a watch's ERROR event).
    var code: Int64?
    var reason: String?
    var message: String?

    /// Reads an object at `reader`.
    static func read(_ reader: inout JSONReader) throws -> KubernetesObjectFields {
        var fields = KubernetesObjectFields()
        try reader.object { key, reader in
            switch key {
            case "kind": fields.kind = try reader.optionalString()
            case "metadata": try fields.readMetadata(&reader)
            case "status": try fields.readStatus(&reader)
            case "code": fields.code = try reader.optionalInteger()
            case "reason": fields.reason = try reader.optionalString()
            case "message": fields.message = try reader.optionalString()
            default: try reader.skip()
            }
        }
        return fields
    }

    /// Reads `bytes`, which must hold one JSON object.
    static func read(_ bytes: some Collection<UInt8>) throws(QueueConfigMap.Malformed) -> KubernetesObjectFields {
        var reader = JSONReader(bytes)
        do {
            guard try reader.peek() == .object else { throw QueueConfigMap.Malformed(reason: "the body is JSON but not an object") }
            let fields = try read(&reader)
            try reader.finish()
            return fields
        } catch let malformed as QueueConfigMap.Malformed {
            throw malformed
        } catch {
            throw QueueConfigMap.Malformed(reason: "the body is not JSON (\(error))")
        }
    }

    private mutating func readMetadata(_ reader: inout JSONReader) throws {
        guard try reader.peek() == .object else { return try reader.skip() }
        try reader.object { key, reader in
            switch key {
            case "name": name = try reader.optionalString()
            case "namespace": namespace = try reader.optionalString()
            case "uid": uid = try reader.optionalString()
            case "resourceVersion": resourceVersion = try reader.optionalString()
            case "labels":
                guard try reader.peek() == .object else { return try reader.skip() }
                try reader.object { label, reader in
                    if let value = try reader.optionalString() { labels[label] = value }
                }
            default: try reader.skip()
            }
        }
    }

    private mutating func readStatus(_ reader: inout JSONReader) throws {
        guard try reader.peek() == .object else { return try reader.skip() }
        try reader.object { key, reader in
            switch key {
            case "applicationState":
                guard try reader.peek() == .object else { return try reader.skip() }
                try reader.object { key, reader in
                    switch key {
                    case "state": state = try reader.optionalString()
                    case "errorMessage": errorMessage = try reader.optionalString()
                    default: try reader.skip()
                    }
                }
            case "sparkApplicationId": sparkApplicationID = try reader.optionalString()
            case "lastSubmissionAttemptTime": lastSubmissionAttemptTime = try reader.optionalString()
            case "terminationTime": terminationTime = try reader.optionalString()
            default: try reader.skip()
            }
        }
    }

    /// The SparkApplication's status as the operator wrote it; `kind` nil is taken as SparkApplication (list items
    /// and watch objects may leave it out).
    func sparkStatus() throws(QueueConfigMap.Malformed) -> SparkApplicationStatus {
        guard kind == nil || kind == "SparkApplication", let name, let uid, let resourceVersion else {
            throw QueueConfigMap.Malformed(reason: "the answer is not a SparkApplication with name, uid and resourceVersion")
        }
        return SparkApplicationStatus(
            name: name, namespace: namespace ?? "", uid: uid,
            state: state.flatMap { $0.isEmpty ? nil : $0 } ?? SparkApplicationStatus.unknownState,
            errorMessage: errorMessage.flatMap { $0.isEmpty ? nil : $0 },
            sparkApplicationID: sparkApplicationID, resourceVersion: resourceVersion, labels: labels,
            submittedAt: lastSubmissionAttemptTime.flatMap { Timestamp.parse($0, allowingDate: false) },
            terminatedAt: terminationTime.flatMap { Timestamp.parse($0, allowingDate: false) })
    }
}
