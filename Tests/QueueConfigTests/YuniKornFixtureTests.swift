import Foundation
import Testing
import TestSupport
@testable import QueueConfig

/// The cases yunikorn-core itself was run on (`shared/fixtures/yunikorn/cases`): our verdict,
/// first error and checksum must equal the recorded ones. A user's clone has no shared/ folder,
/// so the suite is skipped there rather than failed; under CI, which has a copy, its absence fails.
struct YuniKornFixtureTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let file: String
        let expected: String
        let error: String
        let checksum: String?
        var testDescription: String { file }
    }

    static let casesFolder: URL? = {
        if let override = ProcessInfo.processInfo.environment["BURSAR_YUNIKORN_CASES"] {
            return URL(fileURLWithPath: override)
        }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let folder = url.deletingLastPathComponent().appendingPathComponent("shared/fixtures/yunikorn/cases")
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.tsv").path) ? folder : nil
    }()

    static let cases: [Case] = {
        guard let folder = casesFolder,
              let results = try? String(contentsOf: folder.appendingPathComponent("results.jsonl"), encoding: .utf8)
        else { return [] }
        let index = (try? String(contentsOf: folder.appendingPathComponent("index.tsv"), encoding: .utf8)) ?? ""
        let listed = Set(index.split(separator: "\n").dropFirst().map { String($0.split(separator: "\t")[0]) })
        return results.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let file = object["file"] as? String, listed.contains(file) else { return nil }
            return Case(file: file, expected: object["expected"] as? String ?? "",
                        error: object["error"] as? String ?? "", checksum: object["checksum"] as? String)
        }
    }()

    @Test("the fixture index is complete", .requires(.yunikornFixtures))
    func indexIsRead() {
        #expect(Self.cases.count >= 190)
    }

    @Test("same verdict, first error and checksum as yunikorn-core",
          .requires(.yunikornFixtures),
          arguments: cases)
    func verdict(_ testCase: Case) throws {
        let data = try Data(contentsOf: Self.casesFolder!.appendingPathComponent(testCase.file))
        let text = String(decoding: data, as: UTF8.self)
        let result = Validator.validate(text: text)
        if testCase.expected == "valid" {
            #expect(result.isValid, "\(result.yunikornError ?? "")")
            #expect(result.problems(.error).isEmpty)
            #expect(result.checksum == testCase.checksum)
        } else {
            #expect(!result.isValid)
            #expect(result.yunikornError == testCase.error)
            // The first error yunikorn-core reports is one of the problems we list.
            let errors = result.problems(.error)
            #expect(!errors.isEmpty)
            if !testCase.error.hasPrefix("yaml:") {
                #expect(errors.contains { $0.yunikornMessage == testCase.error })
            }
        }
    }
}
