import Timestamps

/// The `scheduled-at` forms a submission may use: epoch milliseconds, or an ISO 8601 date-time with a zone
/// in the extended or basic form (Timestamps' reader). A bare date or a time without a zone is refused: a
/// scheduler and the router may sit in different zones.
enum ScheduledAt {
    /// Epoch milliseconds, or nil when the text is neither form.
    static func milliseconds(_ text: String) -> Int64? {
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return Int64(text) }
        return Timestamp.parse(text, allowingDate: false)
    }
}
