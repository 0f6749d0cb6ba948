import Foundation

/// Values worked out once per snapshot by the first page that needs them and shared by the rest: the listing
/// behind every page of a long table, a night's right-sizing. The snapshot never changes once read, so a value
/// never goes stale; computed under the lock, so pages rendered on several threads wait for the first rather
/// than repeat it.
final class Memo<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Value] = [:]

    func value(_ key: Key, _ compute: () throws(DashboardRequestError) -> Value) throws(DashboardRequestError) -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let known = values[key] { return known }
        let computed = try compute()
        values[key] = computed
        return computed
    }
}
