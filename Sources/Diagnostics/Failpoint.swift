#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A test hook: `BURSAR_FAILPOINT=<name>[,<name>…]` makes the process kill itself with SIGKILL when it reaches
/// the named point, as a crash or `kill -9` would, so tests can check what the next run recovers. Points:
/// `allocate-after-renames` (the new files are in place, the store not yet written),
/// `allocate-before-commit` (inside the store transaction, before COMMIT) and
/// `scheduler-after-dispatch` (the router accepted a job attempt; the scheduler has not recorded it),
/// `export-mid-render` (a dashboards export has written its first views into its staging folder) and
/// `export-mid-swap` (the earlier export is set aside, the new one not yet in its place).
public enum Failpoint {
    public static func reach(_ name: String) {
        guard let raw = getenv("BURSAR_FAILPOINT") else { return }
        let value = String(cString: raw)
        guard value.split(separator: ",").contains(where: { $0.filter { $0 != " " } == name }) else { return }
        kill(getpid(), SIGKILL)
    }
}
