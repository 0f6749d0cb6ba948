import Testing
import SourceDocuments

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
