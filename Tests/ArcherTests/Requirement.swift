import Foundation
import TestSupport

extension Requirement {
    /// The cases yunikorn-core was run on, in the shared/ folder beside the clone (CI has a copy; a user's
    /// clone usually has none).
    static let yunikornFixtures = Requirement(
        "shared/fixtures/yunikorn/cases (the YuniKorn fixture cases beside the clone)",
        remedy: "put a copy of the project's shared/ folder next to the repository folder") {
        FileManager.default.isReadableFile(atPath: ValidateConfTests.casesFolder.appendingPathComponent("results.jsonl").path)
    }
}
