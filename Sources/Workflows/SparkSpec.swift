public import SourceDocuments
import JSONText
public import Routing

/// A job's Spark work as the router will receive it: the compact spec with the workflow's defaults under it,
/// or a SparkApplication file, with the identity the scheduler adds to every attempt.
public enum SparkSpec {
    /// `defaults` under `spec`: the spec's fields win; `driver`, `executor` and `conf` are merged one level down.
    static func merged(_ defaults: SourceNode?, _ spec: SourceNode) -> SourceNode {
        guard let defaults, let base = defaults.members, let own = spec.members else { return spec }
        // Every job keeps its merged spec: room for exactly its fields, not an array's doubling.
        var members: [(key: String, node: SourceNode)] = []
        members.reserveCapacity(base.count + own.count)
        members += base
        for (key, node) in own {
            if let position = members.firstIndex(where: { $0.key == key }) {
                if key == "driver" || key == "executor" || key == "conf", node.isObject, members[position].node.isObject {
                    members[position] = (key, merged(members[position].node, node))
                } else {
                    members[position] = (key, node)
                }
            } else {
                members.append((key, node))
            }
        }
        var result = spec
        result.value = .object(members)
        return result
    }

    /// Who an attempt is: what the scheduler writes into every submission.
    public struct Identity: Sendable, Equatable {
        public var workflow: String
        public var project: String
        public var tier: Int
        public var job: String
        public var runID: String
        public var scheduledAt: Int64
        /// The SparkApplication's name.
        public var name: String

        public init(workflow: String, project: String, tier: Int, job: String, runID: String, scheduledAt: Int64, name: String) {
            self.workflow = workflow
            self.project = project
            self.tier = tier
            self.job = job
            self.runID = runID
            self.scheduledAt = scheduledAt
            self.name = name
        }
    }

    /// The compact spec with the identity fields added (they carry no position: errors about them are the
    /// scheduler's, not the author's).
    public static func compactDocument(_ spec: SourceNode, identity: Identity) -> SourceNode {
        var document = spec
        document.value = .object((spec.members ?? []) + identityFields(spec, identity))
        return document
    }

    /// The fields `compactDocument` adds to the spec, each placed at the spec.
    static func identityFields(_ spec: SourceNode, _ identity: Identity) -> [(key: String, node: SourceNode)] {
        var fields = AttemptFields(identity)
        fields.place(at: spec)
        return fields.members
    }

    /// The fields `compactDocument` adds for an attempt, made once for a workflow and then set to each job in turn:
    /// `pipelines validate` checks every job of every definition, and five of the seven never change within one.
    struct AttemptFields {
        private(set) var members: [(key: String, node: SourceNode)]

        init(_ identity: Identity) {
            func text(_ value: String) -> SourceNode { SourceNode(value: .string(value), line: nil, column: nil) }
            members = [
                ("workflow", text(identity.workflow)), ("project", text(identity.project)),
                ("tier", SourceNode(value: .integer(Int64(identity.tier)), line: nil, column: nil)),
                ("job", text(identity.job)), ("run_id", text(identity.runID)),
                ("scheduled_at", text(String(max(0, identity.scheduledAt)))), ("name", text(identity.name)),
            ]
        }

        /// The job's own fields: its name in the workflow and the application's.
        mutating func set(job: String, name: String) {
            members[3].node.value = .string(job)
            members[6].node.value = .string(name)
        }

        /// Every field placed at `spec` (errors about them are the scheduler's, not the author's).
        mutating func place(at spec: SourceNode) {
            let (line, column) = (spec.line, spec.column)
            for index in members.indices {
                members[index].node.line = line
                members[index].node.column = column
            }
        }
    }

    /// A SparkApplication file's document with the identity labels added to `metadata.labels`; a file that
    /// sets one of them itself is refused (the scheduler owns them), as a problem at that label.
    public static func applicationDocument(_ root: SourceNode, identity: Identity) -> Result<SourceNode, SyntaxError> {
        let labels: [(String, String)] = [
            (IdentityLabel.workflow, identity.workflow), (IdentityLabel.project, identity.project),
            (IdentityLabel.tier, String(identity.tier)), (IdentityLabel.job, identity.job),
            (IdentityLabel.runID, identity.runID), (IdentityLabel.scheduledAt, String(identity.scheduledAt)),
        ]
        guard var members = root.members else { return .success(root) }
        let metadataPosition = members.firstIndex { $0.key == "metadata" }
        var metadata = metadataPosition.map { members[$0].node } ?? SourceNode(value: .object([]), line: root.line, column: root.column)
        guard var metadataMembers = metadata.members else { return .success(root) }
        let labelsPosition = metadataMembers.firstIndex { $0.key == "labels" }
        var labelNode = labelsPosition.map { metadataMembers[$0].node } ?? SourceNode(value: .object([]), line: metadata.line, column: metadata.column)
        guard var existing = labelNode.members else { return .success(root) }
        for (key, node) in existing where IdentityLabel.all.contains(key) {
            return .failure(SyntaxError(message: "is set by the scheduler from the workflow and the run; remove it from the file",
                                        line: node.keyLine ?? node.line, column: node.keyColumn ?? node.column,
                                        field: SourcePath.child("metadata.labels", key)))
        }
        existing += labels.map { ($0.0, SourceNode(value: .string($0.1), line: labelNode.line, column: labelNode.column)) }
        labelNode.value = .object(existing)
        if let labelsPosition { metadataMembers[labelsPosition] = ("labels", labelNode) } else { metadataMembers.append(("labels", labelNode)) }
        // Each attempt is its own SparkApplication: the scheduler names it (the file's name stays its label).
        let nameNode = SourceNode(value: .string(identity.name), line: metadata.line, column: metadata.column)
        if let position = metadataMembers.firstIndex(where: { $0.key == "name" }) {
            metadataMembers[position] = ("name", nameNode)
        } else {
            metadataMembers.append(("name", nameNode))
        }
        metadata.value = .object(metadataMembers)
        if let metadataPosition { members[metadataPosition] = ("metadata", metadata) } else { members.append(("metadata", metadata)) }
        var document = root
        document.value = .object(members)
        return .success(document)
    }

    /// `document` as the JSON body of `POST /v1/submissions` (keys in the document's order).
    public static func jsonBody(_ document: SourceNode) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(document, into: &out)
        return out
    }

    private static func write(_ node: SourceNode, into out: inout [UInt8]) {
        switch node.value {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .integer(let number): out += Array(String(number).utf8)
        case .double(let number): out += Array((number.isFinite ? "\(number)" : "null").utf8)
        case .string(let text): JSON.quote(text, into: &out)
        case .array(let elements):
            out.append(0x5B)
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(0x2C) }
                write(element, into: &out)
            }
            out.append(0x5D)
        case .object(let members):
            out.append(0x7B)
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(0x2C) }
                JSON.quote(member.key, into: &out)
                out.append(0x3A)
                write(member.node, into: &out)
            }
            out.append(0x7D)
        }
    }

    /// What the router would say to `document`: nil when it takes it.
    public static func routerVerdict(_ document: SourceNode) -> SubmissionError? {
        SubmissionParser.check(document: document)
    }

    /// `routerVerdict(compactDocument(spec, identity: identity))`, without building the document: what
    /// `pipelines validate` asks of every Spark job.
    public static func routerVerdict(compactSpec spec: SourceNode, identity: Identity) -> SubmissionError? {
        SubmissionParser.check(document: spec, appending: identityFields(spec, identity))
    }

    /// `routerVerdict(compactSpec:identity:)` with the identity's fields already made (`fields`, set to the job),
    /// placed here at `spec`.
    static func routerVerdict(compactSpec spec: SourceNode, fields: inout AttemptFields) -> SubmissionError? {
        fields.place(at: spec)
        return SubmissionParser.check(document: spec, appending: fields.members)
    }
}
