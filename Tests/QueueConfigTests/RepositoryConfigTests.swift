import Foundation
import Testing
@testable import QueueConfig

/// The queue configurations committed under Queues/ load in YuniKorn and are in canonical form,
/// so that a night's diff shows only real changes.
struct RepositoryConfigTests {
    static let queuesFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Queues")

    static let files: [String] = {
        guard let walker = FileManager.default.enumerator(atPath: queuesFolder.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix("/queues.yaml") }.sorted()
    }()

    @Test func thereAreSamples() { #expect(Self.files.count >= 2) }

    @Test(arguments: files)
    func committedConfig(_ relative: String) throws {
        let text = try String(contentsOf: Self.queuesFolder.appendingPathComponent(relative), encoding: .utf8)
        let result = Validator.validate(text: text)
        #expect(result.isValid, "\(relative): \(result.yunikornError ?? "")")
        #expect(result.problems.isEmpty, "\(relative): \(result.problems.map(\.message))")
        #expect(Emitter.yaml(try #require(result.config)) == text, "\(relative) is not in canonical form")
    }
}
