import Testing
@testable import QueueConfig

/// Strict decoding (yaml.v3's rules) and the warnings for what the scheduler refuses.
struct DecoderAndWarningTests {
    func kinds(_ yaml: String, _ severity: Severity) -> [ProblemKind] {
        Validator.validate(text: yaml).problems(severity).map(\.kind)
    }

    @Test func camelCaseKeyIsAnErrorWithAHint() {
        let result = Validator.validate(text: "partitions:\n  - name: default\n    queues:\n      - name: root\n        maxApplications: 3\n")
        #expect(result.yunikornError == "yaml: unmarshal errors:\n  line 5: field maxApplications not found in type configs.QueueConfig")
        #expect(result.problems.first?.message.contains("write \"maxapplications\"") == true)
        #expect(result.problems.first?.location == SourceLocation(line: 5, column: 9))
        #expect(result.problems.first?.path.description == "partitions[0].queues[0].maxApplications")
    }

    @Test func typeErrorsAreGatheredLikeYamlV3() {
        let result = Validator.validate(text: "partitions:\n  - name: a\n    queues:\n      - name: root\n        parent: maybe\n        maxapplications: -1\n")
        #expect(result.yunikornError == "yaml: unmarshal errors:\n  line 5: cannot unmarshal !!str `maybe` into bool\n  line 6: cannot unmarshal !!int `-1` into uint64")
        #expect(result.problems.count == 2)
    }

    @Test func yamlOneOneBooleansAndNulls() {
        let decoded = StrictDecoder.decode("partitions:\n  - name: a\n    preemption: {enabled: off}\n    queues:\n      - name: root\n        parent: yes\n        resources: {max: {memory: ~}}\n")
        #expect(decoded.problems.isEmpty)
        #expect(decoded.config?.partitions[0].preemption.enabled == false)
        #expect(decoded.config?.partitions[0].queues?[0].resources.max?.first?.quantity == "")
    }

    @Test func onlyTheFirstDocumentCounts() {
        #expect(Validator.validate(text: "partitions: []\n---\n: : garbage [\n").isValid)
    }

    @Test func duplicateKeyNamesBothLines() {
        let result = Validator.validate(text: "partitions:\n  - name: a\n    queues:\n      - name: root\n        maxapplications: 1\n        maxapplications: 2\n")
        #expect(result.yunikornError == "yaml: unmarshal errors:\n  line 6: mapping key \"maxapplications\" already defined at line 5")
    }

    @Test func rootSpelledUpperCaseWarns() {
        #expect(kinds("partitions:\n  - name: a\n    queues:\n      - name: ROOT\n", .warning) == [.rootNameCase])
    }

    @Test func aclSpacingWarns() {
        let yaml = "partitions:\n  - name: a\n    queues:\n      - name: root\n        submitacl: 'u1  g1'\n        adminacl: 'u1 g1 '\n"
        #expect(kinds(yaml, .warning) == [.aclSpacing, .aclSpacing])
        #expect(kinds(yaml, .error).isEmpty)
    }

    @Test func ruleWarnings() {
        let yaml = """
        partitions:
          - name: a
            placementrules:
              - name: tag
              - name: recovery
              - name: Something
              - name: provided
                filter: {type: DENY, users: [alice]}
            queues:
              - name: root
                childtemplate:
                  resources: {max: {memory: 10GB}}
        """
        let warnings = Validator.validate(text: yaml).problems(.warning).map(\.kind)
        #expect(warnings == [.ruleValue, .unknownRule, .unknownRule, .filterType, .childTemplateQuantity])
        #expect(Validator.validate(text: yaml).isValid)
    }

    @Test func fixedRuleIntoAQueueWithChildrenWarns() {
        let yaml = "partitions:\n  - name: d\n    placementrules:\n      - name: fixed\n        value: root.parent\n    queues:\n      - name: root\n        queues:\n          - name: parent\n            queues:\n              - name: c\n"
        let result = Validator.validate(text: yaml)
        #expect(result.isValid)
        #expect(result.problems.map(\.kind) == [.rulePath])
        #expect(result.problems.first?.severity == .warning)
    }

    @Test func everyProblemIsGathered() {
        let yaml = """
        partitions:
          - name: a
            queues:
              - name: root
                queues:
                  - name: x.y
                  - name: q
                    resources: {guaranteed: {memory: 10GB, vcore: 2}, max: {vcore: 1}}
                  - name: Q
        """
        let result = Validator.validate(text: yaml)
        #expect(result.problems(.error).map(\.kind) == [.invalidQueueName, .guaranteedOverMax, .invalidQuantity, .duplicateQueueName])
        #expect(result.problems.filter(\.isYuniKornFirstError).count == 1)
        #expect(result.yunikornError?.hasPrefix("invalid queue name") == true)
    }

    @Test func inMemoryConfigsValidate() {
        let config = SchedulerConfig(partitions: [PartitionConfig(name: "default", queues: [
            QueueConfig(name: "root", queues: [QueueConfig(name: "a", resources: QueueResources(guaranteed: [("vcore", "2")], max: [("vcore", "1")]))]),
        ])])
        let result = Validator.validate(config)
        #expect(result.yunikornError == "guaranteed resource map[vcore:2000] is larger than maximum resource map[vcore:1000] for queue a")
    }
}
