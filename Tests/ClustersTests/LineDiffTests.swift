@testable import Clusters
import Testing

@Suite("Line diff")
struct LineDiffTests {
    /// Applies a unified diff to `old`, checking every context and removed line against it.
    static func patch(_ old: String, with diff: String) throws -> String {
        let source = LineDiff.lines(old).map(String.init)
        var output: [String] = []
        var cursor = 0
        for line in LineDiff.lines(diff).dropFirst(2) {
            if line.hasPrefix("@@") {
                let oldStart = Int(line.split(separator: " ")[1].dropFirst().split(separator: ",")[0])!
                let oldCount = Int(line.split(separator: " ")[1].split(separator: ",")[1])!
                let start = oldCount == 0 ? oldStart : oldStart - 1
                try #require(start >= cursor)
                output += source[cursor..<start]
                cursor = start
            } else if line.hasPrefix("+") {
                output.append(String(line.dropFirst()))
            } else {
                try #require(cursor < source.count && source[cursor] == String(line.dropFirst()), "\(line)")
                if line.hasPrefix(" ") { output.append(source[cursor]) }
                cursor += 1
            }
        }
        output += source[cursor...]
        return output.map { $0 + "\n" }.joined()
    }

    /// Random line edits of random texts: the diff turns the old text into the new one, and is empty only
    /// when they are equal.
    @Test func patchingTheOldTextWithTheDiffGivesTheNewText() throws {
        var state: UInt64 = 0x5EED
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<300 {
            let old = (0..<next(40)).map { _ in "line \(next(8))" }
            var new = old
            for _ in 0..<next(6) {
                switch next(3) {
                case 0 where !new.isEmpty: new.remove(at: next(new.count))
                case 1: new.insert("new \(next(5))", at: next(new.count + 1))
                default: if !new.isEmpty { new[next(new.count)] = "changed \(next(5))" }
                }
            }
            let oldText = old.map { $0 + "\n" }.joined(), newText = new.map { $0 + "\n" }.joined()
            let diff = LineDiff.unified(from: oldText, to: newText, oldLabel: "a", newLabel: "b", context: next(4))
            #expect(diff.isEmpty == (oldText == newText))
            if !diff.isEmpty { #expect(try Self.patch(oldText, with: diff) == newText) }
        }
    }

    /// Myers finds a shortest script: one changed line in a long file is one deletion and one insertion.
    @Test func aSingleChangeIsOneHunk() {
        let old = (1...100).map { "\($0)\n" }.joined()
        let new = old.replacingOccurrences(of: "\n50\n", with: "\nfifty\n")
        #expect(LineDiff.unified(from: old, to: new, oldLabel: "a", newLabel: "b") == """
            --- a
            +++ b
            @@ -47,7 +47,7 @@
             47
             48
             49
            -50
            +fifty
             51
             52
             53

            """)
    }
}
