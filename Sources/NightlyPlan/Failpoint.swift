import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A test hook: `BURSAR_FAILPOINT=<name>[,<name>…]` makes the process kill itself with SIGKILL when it reaches
/// the named point, as a crash or `kill -9` would, so tests can check what the next run recovers. Points:
/// `allocate-after-renames` (the new files are in place, the store not yet written) and
/// `allocate-before-commit` (inside the store transaction, before COMMIT).
public enum Failpoint {
    public static func reach(_ name: String) {
        guard let value = ProcessInfo.processInfo.environment["BURSAR_FAILPOINT"],
              value.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == name }) else { return }
        kill(getpid(), SIGKILL)
    }
}
