import Testing
@testable import SourceDocuments

@Suite("One position-carrying reader for YAML and JSON documents")
struct SourceTreeTests {
    @Test func yamlKeepsPositionsKeyPositionsAndTheTextAsWritten() throws {
        let text = "name: yes\nlimits:\n  cores: 0x10\n  tags: [a, b]\n"
        let root = try #require(try YAMLSource.parse(text))
        let name = try #require(root["name"])
        #expect(name.line == 1 && name.column == 7)
        #expect(name.scalarText == "yes")
        if case .bool(true) = name.value {} else { Issue.record("yes resolves as true (YAML 1.1, as Kubernetes reads it)") }
        let limits = try #require(root["limits"])
        #expect(limits.keyLine == 2 && limits.keyColumn == 1)
        #expect(limits.line == 3)
        let cores = try #require(limits["cores"])
        if case .integer(16) = cores.value {} else { Issue.record("0x10 is the integer 16, got \(cores.value)") }
        #expect(cores.scalarText == "0x10")
        #expect(limits["tags"]?.elements?.map(\.scalarText) == ["a", "b"])
        #expect(root.members?.map(\.key) == ["name", "limits"])
    }

    @Test func quotedScalarsStayStrings() throws {
        let root = try #require(try YAMLSource.parse("a: \"1\"\nb: '~'\nc: ~\n"))
        #expect(root["a"]?.string == "1")
        #expect(root["b"]?.string == "~")
        if case .null = root["c"]?.value {} else { Issue.record("a plain ~ is null") }
    }

    @Test(arguments: [
        ("a: 1\nb: 2\na: 3\n", 3, "given twice (first at line 1)"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", 3, "merge keys"),
        ("a: [1, 2\n", 2, "YAML syntax error"),
        ("? [1]\n: 2\n", 1, "keys must be plain text"),
    ])
    func yamlRefusesWithThePlace(text: String, line: Int, says: String) {
        do {
            _ = try YAMLSource.parse(text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.line == line, "\(error.message)")
            #expect(error.message.contains(says), "\(error.message)")
            #expect(error.problem(file: "f.yaml").description.hasPrefix("f.yaml:\(line)"))
        }
    }

    @Test func yamlChecksTheLimitsBeforeComposing() {
        var laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            laughs += "l\(level): &l\(level) [" + Array(repeating: "*\(level == 1 ? "a" : "l\(level - 1)")", count: 10).joined(separator: ", ") + "]\n"
        }
        do {
            _ = try YAMLSource.parse(laughs, limits: .configFile)
            Issue.record("a billion laughs was composed")
        } catch {
            #expect(error.message.lowercased().contains("alias"), "\(error.message)")
        }
    }

    @Test func jsonKeepsKeyOrderPositionsAndRefusesDuplicates() throws {
        let root = try JSONSource.parse(Array("{\"b\": 1,\n \"a\": [true, null, 2.5]}".utf8))
        #expect(root.members?.map(\.key) == ["b", "a"])
        let a = try #require(root["a"])
        #expect(a.line == 2 && a.keyLine == 2 && a.keyColumn == 2)
        #expect(a.elements?.count == 3)
        #expect(a.elements?.first?.scalarText == "true")
        do {
            _ = try JSONSource.parse(Array("{\"a\": 1,\n\"a\": 2}".utf8))
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.line == 2)
            #expect(error.field == "a")
        }
    }

    @Test func fieldPathsQuoteKeysADottedPathWouldMisread() {
        #expect(SourcePath.child("", "spec") == "spec")
        #expect(SourcePath.child("spec", "driver") == "spec.driver")
        #expect(SourcePath.child("labels", "yunikorn.apache.org/queue") == "labels[\"yunikorn.apache.org/queue\"]")
    }
}

@Suite("The fast block reader and libyaml give the same tree")
struct FastPathTests {
    static let scalars: [String] = [
        "", "~", "null", "Null", "NULL", "nul", "yes", "Yes", "YES", "yEs", "no", "on", "OFF", "y", "n", "true", "False",
        "0", "00", "07", "08", "089", "0o17", "0o8", "0b101", "0b2", "0x1F", "0xg", "+12", "-0", "1_000", "1:30", "1:60", "190:20:30",
        "1.5", ".5", "-.5", "+.inf", ".Inf", "-.INF", ".nan", "-.nan", "1e5", "1E-5", "1.e3", ".5e+3", ".5e3", "1:30.5", "_1",
        "<<", "=", "2026-11-01", "2026-11-01T02:45:00Z", "2026-1-1 2:45:00", "v1", "3.5.1", "16Gi", "500m", "12:00", "1_", "0_",
        "+", ".", "e5", "1e", "0x", "0o", "0b", "--1", "1__2", "0.", "-0.0", "1:5:9", "9999999999999999999999",
    ]

    @Test(arguments: scalars)
    func plainScalarsResolveAsYamsResolvesThem(text: String) throws {
        let document = "k: \(text.isEmpty ? "" : text)\n"
        let fast = try #require(try YAMLSource.parse(document))["k"]
        let general = try #require(try YAMLSource.parseWithLibyaml(document, limits: .submission))["k"]
        #expect("\(String(describing: fast?.value))" == "\(String(describing: general?.value))", "\(text)")
        #expect(fast?.scalarText == general?.scalarText)
    }

    @Test func documentsGiveTheSameTreeWithPositions() throws {
        let documents = [
            "a: 1\nb:\n  - x\n  - {y: 'q', z: [1, 2.5, true]}\nc: \"s\"\n",
            "- name: extract\n  depends_on: [a, b]\n  spark: {main: \"local:///x.py\", executor: {instances: 8}}\n- name: b\n",
            "workflow: w\njobs:\n  - name: j000\n    spark: {main: \"local:///opt/jobs/w/j000.py\"}\n",
        ]
        for document in documents {
            let fast = try YAMLSource.parse(document)
            let general = try YAMLSource.parseWithLibyaml(document, limits: .submission)
            #expect(describe(fast) == describe(general), "\(document)")
        }
    }

    @Test func aDuplicateAmongManyKeysIsFoundToo() {
        let keys = (0..<40).map { "k\($0): \($0)" }
        let yaml = (keys + ["k7: again"]).joined(separator: "\n") + "\n"
        let json = "{" + ((0..<40).map { "\"k\($0)\": \($0)" } + ["\"k33\": 0"]).joined(separator: ",\n") + "}"
        for (document, line) in [(yaml, 41)] {
            #expect(throws: SyntaxError.self) { try YAMLSource.parse(document) }
            do { _ = try YAMLSource.parse(document) } catch {
                #expect(error.line == line && error.message.contains("first at line 8"), "\(error)")
            }
        }
        do {
            _ = try JSONSource.parse(Array(json.utf8))
            Issue.record("a repeated key among 41 was accepted")
        } catch {
            #expect(error.line == 41 && error.message.contains("first at line 34"), "\(error)")
        }
        #expect((try? YAMLSource.parse(keys.joined(separator: "\n")))??.members?.count == 40)
    }

    @Test(arguments: [false, true], ["a: 1\nb: 2\na: 3\n", "x:\n  a: 1\n  a: [2]\n"])
    func aDuplicateKeyIsReportedAtTheSecondOnEitherPath(libyaml: Bool, document: String) {
        do {
            _ = libyaml ? try YAMLSource.parseWithLibyaml(document, limits: .submission) : try YAMLSource.parse(document)
            Issue.record("accepted \(document)")
        } catch {
            #expect(error.line == 3, "\(error)")
            #expect(error.message.contains("given twice (first at line"), "\(error)")
        }
    }

    func describe(_ node: SourceNode?, indent: String = "") -> String {
        guard let node else { return "nil" }
        var out = "\(indent)\(node.line ?? -1):\(node.column ?? -1) key \(node.keyLine ?? -1):\(node.keyColumn ?? -1) text \(node.scalarText ?? "-")"
        switch node.value {
        case .array(let elements): out += " [\n" + elements.map { describe($0, indent: indent + "  ") }.joined(separator: "\n") + "]"
        case .object(let members): out += " {\n" + members.map { "\(indent)  \($0.key):\n" + describe($0.node, indent: indent + "  ") }.joined(separator: "\n") + "}"
        default: out += " \(node.value)"
        }
        return out
    }
}
