import Synth
import Foundation
import Testing
@testable import QueueConfig
@testable import SourceDocuments

/// The fast block-YAML reader must build exactly libyaml's tree, or give up. Held against libyaml
/// on every fixture, golden input, generated configuration and a list of edge cases.
struct BlockYAMLReaderTests {
    static let edgeCases: [String] = [
        "", "\n\n", "# only a comment\n", "---\n", "--- \n# c\na: 1\n", "a: 1\n...\nb: [\n", "a: 1\n---\nb: 2\n",
        "a:\n", "a:\nb:\n", "a: \n  b: 1\n", "a:\n- x\n- y\nb: 1\n", "a:\n  - x\n  -  y\n", "- a\n- b: 1\n  c: 2\n-   d: 3\n",
        "a: 'it''s'\nb: \"q\\\"x\\\\y\\n\"\n", "a: [x, 'y', \"z\", [1, 2], {k: v}]\n", "a: {x: 1, y: , z: [a]}\n",
        "a: [ ]\nb: { }\nc: []\n", "a: b #c\nd: e#f\n", "a: b: c\n", "a: -\n", "a: - b\n", "a: x\n  continued\n",
        "a:\n  b\n", "a:\n  b\n  c\n", "'q k': 1\n\"d k\": 2\n", "key  : v  \n", "a: 1\na: 2\n", "a: {x: 1, x: 2}\n",
        "a: &x 1\nb: *x\n", "a: !!str 10\n", "a: |\n  text\n", "a: >\n  text\n", "? a\n: b\n", "a:\tb\n", "a: b\r\n",
        "[a, b]\n", "{a: 1}\n", "plain scalar\n", "- - x\n", "-\n  a: 1\n", "a: [x,\n  y]\n", "a: \"multi\n  line\"\n",
        "a: 'x' y\n", "a: ünïcödé: x\n", "ü: ä\nb: ö\n", "a: \"\\x41\"\n", "a: [a: b]\n", "a: {x:1}\n", "a: %x\n", "a: @x\n",
        "a:\n    - x\n  b: 1\n", "a:\n  - x\n b: 1\n", " a: 1\n", "a: 1\n b: 2\n", "a:\n  b: 1\n c: 2\n",
        "partitions:\n  - name: default\n    queues:\n    - name: root\n      queues:\n      - name: a\n",
    ]

    static func corpus() -> [(String, String)] {
        var items = edgeCases.enumerated().map { ("edge \($0.offset)", $0.element) }
        if let folder = YuniKornFixtureTests.casesFolder,
           let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) {
            for name in names.sorted() where name.hasSuffix(".yaml") {
                if let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) {
                    items.append((name, text))
                }
            }
        }
        for name in GoldenOutputTests.inputs {
            let url = GoldenOutputTests.folder.appendingPathComponent("inputs").appendingPathComponent(name)
            if let text = try? String(contentsOf: url, encoding: .utf8) { items.append((name, text)) }
        }
        for seed in 0..<100 {
            var generator = RoundTripTests.Generator(state: UInt64(seed))
            items.append(("generated \(seed)", Emitter.yaml(generator.config())))
        }
        items.append(("org tree", Emitter.yaml(SyntheticQueues.orgTree(queueCount: 500), withChecksum: true)))
        return items
    }

    @Test("fast reader agrees with libyaml or gives up")
    func agreesWithLibyaml() {
        var fast = 0, total = 0
        for (name, text) in Self.corpus() {
            total += 1
            guard let tree = BlockYAMLReader.read(text) else { continue }
            fast += 1
            guard let reference = try? YAMLTree.libyaml(text) else {
                Issue.record("\(name): the fast reader accepted text libyaml rejects:\n\(text)")
                continue
            }
            let mine = tree.dump().split(separator: "\n"), theirs = reference.dump().split(separator: "\n")
            if mine != theirs {
                let at = (0..<min(mine.count, theirs.count)).first { mine[$0] != theirs[$0] } ?? min(mine.count, theirs.count)
                Issue.record("\(name): fast \(at < mine.count ? mine[at] : "-") vs libyaml \(at < theirs.count ? theirs[at] : "-")\n\(text.prefix(300).debugDescription)")
            }
        }
        // The point of the fast reader: it must handle nearly everything real files hold.
        #expect(fast * 10 >= total * 8, "fast path taken for only \(fast) of \(total) inputs")
    }

    /// Mutated files (characters inserted, deleted, lines swapped or re-indented) probe the edges of
    /// the subset: whatever the fast reader accepts, libyaml must read identically.
    @Test("mutated inputs: fast reader agrees with libyaml or gives up")
    func mutations() {
        let seeds = Self.corpus().filter { !$0.1.isEmpty }.map(\.1)
        var generator = RoundTripTests.Generator(state: 2026)
        let inserts = [" ", "  ", ":", ": ", "-", "- ", "#", " #", "'", "\"", "[", "]", "{", "}", ",", "\n", "\t", "&a", "*a", "!", "|", ">", "?", "~", "\\", "é"]
        var accepted = 0
        for round in 0..<4_000 {
            var lines = generator.pick(seeds).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard !lines.isEmpty else { continue }
            let target = generator.int(lines.count)
            switch generator.int(4) {
            case 0:
                var line = Array(lines[target])
                line.insert(contentsOf: Array(generator.pick(inserts)), at: line.isEmpty ? 0 : generator.int(line.count + 1))
                lines[target] = String(line)
            case 1:
                var line = Array(lines[target])
                if !line.isEmpty { line.remove(at: generator.int(line.count)) }
                lines[target] = String(line)
            case 2:
                lines.swapAt(target, generator.int(lines.count))
            default:
                lines[target] = String(repeating: " ", count: generator.int(3)) + lines[target]
            }
            let text = lines.joined(separator: "\n")
            guard let tree = BlockYAMLReader.read(text) else { continue }
            accepted += 1
            guard let reference = try? YAMLTree.libyaml(text) else {
                Issue.record("round \(round): fast reader accepted what libyaml rejects:\n\(text.prefix(400).debugDescription)")
                continue
            }
            if tree.dump() != reference.dump() {
                Issue.record("round \(round): trees differ:\n\(text.prefix(400).debugDescription)")
            }
        }
        #expect(accepted > 500, "only \(accepted) mutated inputs took the fast path")
    }
}
