import Testing
@testable import Routing

/// The org routing uses is the project's, from projects.csv and owners.csv; a submitted one that disagrees
/// is refused, naming the field.
struct TrustedIdentityTests {
    static func submission(org: String?, project: String = "fraud", compact: Bool = false) throws -> Submission {
        let orgLabel = org.map { compact ? "org: \($0)\n" : "    bursar.dev/org: \($0)\n" } ?? ""
        let body = compact ? """
            kind: SparkJob
            workflow: etl-daily
            project: \(project)
            tier: 1
            \(orgLabel)name: etl-daily-load
            image: spark:3.5.1
            main: local:///opt/etl.jar
            driver: {cores: 1, memory: 2g}
            executor: {instances: 1, cores: 1, memory: 2g}
            """ : """
            apiVersion: sparkoperator.k8s.io/v1beta2
            kind: SparkApplication
            metadata:
              name: etl-daily-load
              labels:
                bursar.dev/workflow: etl-daily
                bursar.dev/project: \(project)
                bursar.dev/tier: "1"
            \(orgLabel)spec: {}
            """
        return try SubmissionParser.parse(Fixtures.bytes(body), contentType: nil)
    }

    @Test("an org that disagrees with the mappings is refused, naming the field", arguments: [false, true])
    func refused(_ compact: Bool) throws {
        let submission = try Self.submission(org: "growth", compact: compact)
        #expect(submission.facts.org == "growth")
        do {
            let facts = try TrustedIdentity.facts(submission, in: Fixtures.snapshot([]))
            Issue.record("accepted as \(facts.org ?? "no org")")
        } catch {
            #expect(error.field == (compact ? "org" : "metadata.labels[\"bursar.dev/org\"]"))
            #expect(error.message.contains("risk"))
        }
    }

    @Test("the mappings' org is used when the submission agrees or says nothing")
    func trusted() throws {
        for org in ["risk", nil] as [String?] {
            let facts = try TrustedIdentity.facts(try Self.submission(org: org), in: Fixtures.snapshot([]))
            #expect(facts.org == "risk")
        }
    }

    @Test("for a project the mappings place in no org, a submitted org is dropped, not believed")
    func unknownProject() throws {
        let facts = try TrustedIdentity.facts(try Self.submission(org: "growth", project: "brand-new"), in: Fixtures.snapshot([]))
        #expect(facts.org == nil)
    }

    @Test("refusals of scheduling fields have their own kind, and removed fields are named on the submission")
    func kinds() throws {
        let body = HostileSubmissionTests.crd(driver: ", \"priorityClassName\": \"system-cluster-critical\"")
        #expect(throws: SubmissionError.self) { try SubmissionParser.parse(Fixtures.bytes(body), contentType: nil) }
        do {
            _ = try SubmissionParser.parse(Fixtures.bytes(body), contentType: nil)
        } catch {
            #expect(error.kind == .refusedField)
        }
        let stripped = try SubmissionParser.parse(Fixtures.bytes(HostileSubmissionTests.conf("spark.kubernetes.driver.label.queue", "root.x.y")),
                                                  contentType: nil)
        #expect(stripped.removedFields == ["spec.sparkConf[\"spark.kubernetes.driver.label.queue\"]"])
    }
}
