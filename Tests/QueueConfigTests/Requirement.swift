import Foundation
import TestSupport

extension Requirement {
    /// The cases yunikorn-core was run on, in the shared/ folder beside the clone (CI has a copy; a user's
    /// clone usually has none) or where BURSAR_YUNIKORN_CASES points.
    static let yunikornFixtures = Requirement(
        "shared/fixtures/yunikorn/cases (the YuniKorn fixture cases beside the clone)",
        remedy: "put a copy of the project's shared/ folder next to the repository folder, or set BURSAR_YUNIKORN_CASES") {
        YuniKornFixtureTests.casesFolder != nil
    }
}
