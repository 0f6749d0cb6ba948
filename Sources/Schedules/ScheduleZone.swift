import Foundation
import Synchronization

/// A time zone by IANA name ("UTC", "America/Los_Angeles"), with the UTC offset at any instant.
///
/// The offsets come from Foundation's `TimeZone`, whose tz database ships inside the Swift toolchain's ICU
/// (`lib_FoundationICU`), so no system tzdata is needed. Each zone's offsets from 1900 to 2100 are read once
/// into a table shared by every `ScheduleZone` of that name; instants outside those years ask Foundation.
/// Two zones are equal when their identifiers are.
public struct ScheduleZone: Sendable, Equatable {
    /// The name as given, e.g. "Europe/London".
    public let identifier: String
    let rules: ZoneRules

    /// The zone named `identifier`, or nil when it is not a name of the IANA tz database.
    ///
    /// Accepted: `Area/Location` names ("America/Los_Angeles", "Asia/Kolkata", the old links such as
    /// "US/Pacific" and "Asia/Calcutta", and the fixed "Etc/GMT+5", which is UTC-5 as POSIX writes it, kept because
    /// Kubernetes CronJobs accept it), and "UTC" with its aliases ("Etc/UTC", "GMT", "Etc/GMT", "UCT", "Universal",
    /// "Zulu", "Greenwich"). Refused: abbreviations ("PST", "IST" is India, Israel or Ireland; "EST" in the tz
    /// database has no daylight saving, which is rarely what its writer meant), raw offsets ("+05:30", "GMT+1"),
    /// and names in the wrong case.
    public init?(identifier: String) {
        if Self.utcNames.contains(identifier) {
            self.init(identifier: identifier, rules: ZoneRules.utc)
            return
        }
        guard Self.looksLikeAreaAndLocation(identifier), let rules = ZoneRules.named(identifier) else { return nil }
        self.init(identifier: identifier, rules: rules)
    }

    /// Coordinated Universal Time: offset 0 at every instant.
    public static let utc = ScheduleZone(identifier: "UTC", rules: ZoneRules.utc)

    /// Seconds east of UTC at `instant` (epoch milliseconds): -25200 in Los Angeles in July, 19800 in Kolkata.
    public func offsetSeconds(at instant: Int64) -> Int {
        Int(rules.offset(at: CivilCalendar.floorDiv(instant, 1000)))
    }

    /// The same name: "Etc/UTC" and "UTC" are different zones with the same offsets.
    public static func == (lhs: ScheduleZone, rhs: ScheduleZone) -> Bool {
        lhs.identifier == rhs.identifier
    }

    private init(identifier: String, rules: ZoneRules) {
        self.identifier = identifier
        self.rules = rules
    }

    private static let utcNames: Set<String> = [
        "UTC", "Etc/UTC", "GMT", "Etc/GMT", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu",
        "Greenwich", "Etc/Greenwich",
    ]

    /// `Area/Location[/More]`, each part starting with a capital letter, not ICU's own "SystemV/" names.
    private static func looksLikeAreaAndLocation(_ identifier: String) -> Bool {
        let parts = identifier.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] != "SystemV" else { return false }
        return parts.allSatisfy { part in
            guard let first = part.utf8.first, first >= 65, first <= 90 else { return false }
            return part.utf8.allSatisfy { byte in
                (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)
                    || byte == 95 || byte == 45 || byte == 43
            }
        }
    }
}

/// One stretch of time with one UTC offset: instants `start..<end` (seconds since the epoch, UTC).
struct ZoneSegment {
    var start: Int64
    var end: Int64
    var offset: Int64
}

/// What a local wall-clock time means in a zone: the instant it fires at, and a stretch of local times around
/// it that all map with the same offset, so that the next local times need no search.
struct LocalResolution {
    var instant: Int64
    var plain: (from: Int64, to: Int64, offset: Int64)?
}

/// A zone's UTC offsets: a table of offset changes for the years the scheduler works in, and Foundation for the
/// rest. Immutable, shared between threads.
final class ZoneRules: Sendable {
    /// Offsets never go beyond ±18 hours (the tz database's extremes are under 16).
    static let maximumOffset: Int64 = 18 * 3600
    /// How far either side of a local time the offsets are looked at; must exceed `maximumOffset`.
    static let reach: Int64 = 3 * 86_400
    /// The table covers 1900-01-01 to 2100-01-01 UTC.
    static let tableStart: Int64 = -2_208_988_800
    static let tableEnd: Int64 = 4_102_444_800

    static let utc = ZoneRules(starts: [-(1 << 60)], offsets: [0], end: 1 << 60, timeZone: nil)

    /// `starts[i]` is when `offsets[i]` begins; the last lasts until `end`.
    private let starts: [Int64]
    private let offsets: [Int64]
    private let end: Int64
    /// Asked outside `starts[0]..<end`; nil for a fixed offset that holds at every instant.
    private let timeZone: TimeZone?

    private init(starts: [Int64], offsets: [Int64], end: Int64, timeZone: TimeZone?) {
        self.starts = starts
        self.offsets = offsets
        self.end = end
        self.timeZone = timeZone
    }

    private static let known = Mutex<[String: ZoneRules]>([:])

    /// The rules of the zone Foundation knows by exactly this name, read once per process.
    static func named(_ identifier: String) -> ZoneRules? {
        if let rules = known.withLock({ $0[identifier] }) { return rules }
        guard let zone = TimeZone(identifier: identifier), zone.identifier == identifier else { return nil }
        let rules = ZoneRules(reading: zone)
        return known.withLock { known in
            if let first = known[identifier] { return first }
            known[identifier] = rules
            return rules
        }
    }

    private convenience init(reading zone: TimeZone) {
        var starts = [Self.tableStart]
        var offsets = [Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(Self.tableStart))))]
        var after = Date(timeIntervalSince1970: Double(Self.tableStart))
        // A zone changes offset a few times a year at most; the cap only guards against a looping answer.
        for _ in 0..<20_000 {
            guard let change = zone.nextDaylightSavingTimeTransition(after: after), change > after else { break }
            let at = Int64(change.timeIntervalSince1970.rounded())
            guard at < Self.tableEnd else { break }
            let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(at))))
            // Changes of name alone (a new abbreviation) keep the offset and need no entry.
            if offset != offsets[offsets.count - 1] {
                starts.append(at)
                offsets.append(offset)
            }
            after = change
        }
        self.init(starts: starts, offsets: offsets, end: Self.tableEnd, timeZone: zone)
    }

    private var coversEverything: Bool { timeZone == nil }

    private func inTable(_ second: Int64) -> Bool {
        coversEverything || (second >= starts[0] && second < end)
    }

    /// The index of the table entry in force at `second` (which the table covers).
    private func index(at second: Int64) -> Int {
        var low = 0, high = starts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= second { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Seconds east of UTC at `second` (seconds since the epoch).
    func offset(at second: Int64) -> Int64 {
        if inTable(second) { return offsets[index(at: second)] }
        guard let timeZone else { return offsets[0] }
        return Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(second))))
    }

    /// The stretches of one offset that meet `from..<to`, in order (cut to `from..<to` outside the table).
    func segments(from: Int64, to: Int64) -> [ZoneSegment] {
        if inTable(from) && inTable(to) {
            var result: [ZoneSegment] = []
            var i = index(at: from)
            while i < starts.count, starts[i] < to {
                let segmentEnd = i + 1 < starts.count ? starts[i + 1] : (coversEverything ? 1 << 60 : end)
                result.append(ZoneSegment(start: starts[i], end: segmentEnd, offset: offsets[i]))
                i += 1
            }
            return result
        }
        guard let timeZone else { return [ZoneSegment(start: from, end: to, offset: offsets[0])] }
        var result: [ZoneSegment] = []
        var start = from
        var offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(from))))
        var after = Date(timeIntervalSince1970: Double(from))
        while let change = timeZone.nextDaylightSavingTimeTransition(after: after), change > after {
            let at = Int64(change.timeIntervalSince1970.rounded())
            guard at < to else { break }
            let next = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(at))))
            if next != offset, at > start {
                result.append(ZoneSegment(start: start, end: at, offset: offset))
                start = at
                offset = next
            }
            after = change
        }
        result.append(ZoneSegment(start: start, end: to, offset: offset))
        return result
    }

    /// The largest offset in force in the two days up to `second`.
    func largestOffset(before second: Int64) -> Int64 {
        segments(from: second - 2 * 86_400, to: second + 1).map(\.offset).max() ?? offset(at: second)
    }

    /// When the local wall-clock time `local` (seconds since the epoch as if the zone were UTC) fires: at its
    /// first occurrence when it occurs once or twice, at the end of the gap when a change of offset skips it.
    func resolve(local: Int64) -> LocalResolution {
        let segments = segments(from: local - Self.reach, to: local + Self.reach)
        var chosen: Int?
        var occurrences = 0
        for (i, segment) in segments.enumerated() {
            let instant = local - segment.offset
            guard instant >= segment.start, instant < segment.end else { continue }
            occurrences += 1
            if chosen == nil { chosen = i }
        }
        if let chosen {
            let segment = segments[chosen]
            let instant = local - segment.offset
            guard occurrences == 1 else { return LocalResolution(instant: instant, plain: nil) }
            // The local times of this segment that no other segment also produces; beyond `reach - maximumOffset`
            // a segment not looked at might.
            var from = max(segment.start + segment.offset, local - Self.reach + Self.maximumOffset)
            var to = min(segment.end + segment.offset, local + Self.reach - Self.maximumOffset)
            for (i, other) in segments.enumerated() where i != chosen {
                if i < chosen { from = max(from, other.end + other.offset) } else { to = min(to, other.start + other.offset) }
            }
            return LocalResolution(instant: instant, plain: from <= local && local < to ? (from, to, segment.offset) : nil)
        }
        // Skipped by a change of offset: fire at the change, the first instant after the gap.
        for i in segments.indices.dropLast() {
            let before = segments[i], after = segments[i + 1]
            if local >= before.end + before.offset, local < after.start + after.offset {
                return LocalResolution(instant: after.start, plain: nil)
            }
        }
        return LocalResolution(instant: local - offset(at: local), plain: nil)
    }
}

/// Local times resolved one after another, reusing the last stretch of plain local times.
struct ZoneCursor {
    let rules: ZoneRules
    private var from: Int64 = 1
    private var to: Int64 = 0
    private var offset: Int64 = 0

    init(_ rules: ZoneRules) {
        self.rules = rules
    }

    /// The instant (seconds since the epoch) at which the local time `local` fires; see `ZoneRules.resolve`.
    mutating func instant(ofLocal local: Int64) -> Int64 {
        if local >= from && local < to { return local - offset }
        let resolution = rules.resolve(local: local)
        if let plain = resolution.plain {
            (from, to, offset) = plain
        }
        return resolution.instant
    }
}
