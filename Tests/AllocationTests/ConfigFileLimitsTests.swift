@testable import Allocation
@testable import Platform
import QueueConfig
import Testing

/// policy.yaml and clusters.yaml are bounded like every YAML from outside (issue #13): aliases cannot
/// expand them and nesting is capped, each refusal naming the file, line and limit.
struct ConfigFileLimitsTests {
    static let billionLaughs: String = {
        var lines = ["x0: &a0 \"xxxxxxxxxx\""]
        for level in 1...8 {
            lines.append("x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var file: String
        var text: String
        var mentions: String
        var testDescription: String { "\(file): \(name)" }
    }

    static let cases: [Case] = [
        Case(name: "billion laughs", file: "policy.yaml", text: billionLaughs, mentions: "alias"),
        Case(name: "billion laughs", file: "clusters.yaml", text: billionLaughs, mentions: "alias"),
        Case(name: "deep nesting", file: "policy.yaml",
             text: "window_days: " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "\n", mentions: "nesting"),
        Case(name: "deep nesting", file: "clusters.yaml",
             text: "clusters: " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "\n", mentions: "nesting"),
    ]

    @Test(arguments: cases)
    func refusedWithTheLimit(_ item: Case) {
        do {
            if item.file == "policy.yaml" {
                _ = try AllocationPolicy.parse(item.text, file: item.file)
            } else {
                _ = try ClusterRegistry.parse(item.text, file: item.file)
            }
            Issue.record("read without a limit")
        } catch {
            #expect(error.problems.count == 1)
            let problem = error.problems.first
            #expect(problem?.message.contains(item.mentions) == true, "\(error)")
            #expect(problem?.message.contains("limit") == true, "\(error)")
            #expect(problem.map { $0.line > 0 } == true, "\(error)")
            #expect(error.description.hasPrefix("\(item.file):"), "\(error)")
        }
    }
}
