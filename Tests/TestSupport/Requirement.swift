import Foundation
public import Testing

/// Something a test needs from the machine rather than from the code (a tool on PATH, a Python module, the
/// shared fixtures beside the clone), used as a trait: `@Test(.requires(.glpsol))`.
///
/// - met: the test runs;
/// - missing, CI unset: the test is skipped, and the run says which requirement was missing and how to get
///   it, so a missing tool shows as a skip, never as a pass;
/// - missing with CI set (CI=true): the test fails with the same message. CI installs everything
///   (scripts/setup.sh, scripts/with-postgres.sh, a copy of shared/ beside the clone), so a missing tool there
///   is a broken machine, and a run that skipped the test must not come out green.
///
/// The failure is the condition throwing: Swift Testing records an error thrown by a condition trait as an
/// issue of the test and does not run its body. It lives in `TestSupport`, a library only test targets use;
/// a target adds the requirements only it knows (a fixture folder of its own) in an extension.
public struct Requirement: Sendable {
    /// What is needed, as a person names it: "glpsol (GLPK's command-line solver)".
    public let name: String
    /// How to get it: "bash scripts/setup.sh installs glpk-utils".
    public let remedy: String
    private let check: @Sendable () -> Bool

    public init(_ name: String, remedy: String, isMet check: @escaping @Sendable () -> Bool) {
        self.name = name
        self.remedy = remedy
        self.check = check
    }

    /// Whether it is there; looked at when a test needing it is about to run, not when the file loads.
    public var isMet: Bool { check() }

    /// Whether this is a CI run: CI set to anything but empty, 0, false or no.
    public static var isCI: Bool {
        guard let value = ProcessInfo.processInfo.environment["CI"]?.lowercased() else { return false }
        return !["", "0", "false", "no"].contains(value)
    }

    /// Met when `program` (found on PATH) runs with `arguments` and exits 0; its output is discarded.
    public static func command(_ name: String, remedy: String, _ program: String, _ arguments: [String]) -> Requirement {
        Requirement(name, remedy: remedy) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationReason == .exit && process.terminationStatus == 0
        }
    }
}

/// Why a test with an unmet requirement failed under CI.
public struct RequirementMissing: Error, CustomStringConvertible {
    public let requirement: Requirement
    public var description: String {
        "\(requirement.name) is missing, and under CI that is a failure, not a skip: \(requirement.remedy)"
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test where `requirement` is met; skips it where it is not, and fails it there under CI.
    public static func requires(_ requirement: Requirement, sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled("\(requirement.name) is missing (CI unset: skipped); \(requirement.remedy)", sourceLocation: sourceLocation) {
            if requirement.isMet { return true }
            if Requirement.isCI { throw RequirementMissing(requirement: requirement) }
            return false
        }
    }
}

extension Requirement {
    /// GLPK's command-line solver, which reads the MathProg model.
    public static let glpsol = Requirement.command(
        "glpsol (GLPK's command-line solver)", remedy: "bash scripts/setup.sh installs it (Debian package glpk-utils)",
        "glpsol", ["--version"])

    /// HiGHS from Python, which cross-checks the exported models.
    public static let highspy = Requirement.command(
        "python3 with highspy (HiGHS)", remedy: "bash scripts/setup.sh installs it (pip package highspy, pinned there)",
        "python3", ["-c", "import highspy"])

    /// The throwaway server the test command starts (scripts/with-postgres.sh sets its URL).
    public static let postgres = Requirement(
        "a PostgreSQL server (BURSAR_TEST_POSTGRES_URL)",
        remedy: "run the tests as `make test` or under scripts/with-postgres.sh, which starts one") {
        ProcessInfo.processInfo.environment["BURSAR_TEST_POSTGRES_URL"] != nil
    }
}
