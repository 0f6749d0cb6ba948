/// A cron schedule as Airflow and Kubernetes CronJob users write it, and the instants it fires at in a zone.
///
/// **Days.** Day of month and day of week follow Vixie cron: when both are restricted, a day matches when
/// either matches (`0 0 13 * FRI` is every 13th and every Friday); when one is `*`, only the other restricts.
/// A field is unrestricted only when it is `*` or `*/1` (or lists one of them); `*/2` and `1-31` restrict.
///
/// **Times are wall-clock times in the zone**, and a tick is the instant that local time happens:
/// - A local time skipped by a change of offset (02:30 on the US spring-forward day) fires once, at the first
///   instant after the gap (03:00 local that day), so a daily workflow never loses its day; when another tick of
///   the schedule already falls at that instant, the two are one tick.
/// - A local time that happens twice (01:30 on the US fall-back day) fires once, at its first occurrence.
///
/// So `0 * * * *` fires 23 times on the US spring-forward day and 24 (not 25) on the fall-back day, while
/// `30 * * * *` fires 24 times on both (its 02:30 moves to 03:00), and a schedule of every few minutes is quiet
/// during the repeated hour. Ticks are whole local minutes; in the old local-mean-time offsets with seconds
/// (before about 1900) they are not whole UTC minutes.
///
/// Two schedules are equal when their text and fields are: `@daily` and `0 0 * * *` fire alike but differ.
public struct CronSchedule: Sendable, Equatable {
    /// The text as given, trimmed of surrounding white space.
    public let text: String
    private let minutes: UInt64
    private let hours: UInt64
    private let daysOfMonth: UInt64
    private let months: UInt64
    private let daysOfWeek: UInt64
    private let dayOfMonthIsEvery: Bool
    private let dayOfWeekIsEvery: Bool
    /// The weekdays repeated over 64 bits: bit `i` is set when weekday `i % 7` is in the schedule.
    private let weekdayPattern: UInt64
    /// False for schedules that can never fire, such as `0 0 30 2 *`.
    private let canFire: Bool

    /// How far `next` and `previous` look: 5 years of 365.25 days, rounded up.
    static let horizon: Int64 = 1827 * 86_400_000
    /// Instants are kept within the years 1 to 9999.
    static let earliest: Int64 = -62_135_596_800_000
    static let latest: Int64 = 253_402_300_799_999

    /// Parses a 5-field expression (minute hour day-of-month month day-of-week) or a shorthand
    /// (@yearly/@annually, @monthly, @weekly, @daily/@midnight, @hourly; any case). Fields accept *, numbers,
    /// ranges a-b, steps */n and a-b/n and n/m (n/m meaning n-max/m), lists with commas, month names JAN-DEC and
    /// day names SUN-SAT (case-insensitive), day-of-week 0-7 with 0 and 7 both Sunday (and SUN ending a range,
    /// as in FRI-SUN, meaning 7). Refuses anything else, including Quartz's `?`, `L`, `W` and `#`, seconds and
    /// year fields, and `@reboot`; the error names the field and says what to write instead.
    public static func parse(_ text: String) throws(CronError) -> CronSchedule {
        var kept = Substring(text)
        while kept.first?.isWhitespace == true { kept.removeFirst() }
        while kept.last?.isWhitespace == true { kept.removeLast() }
        let trimmed = String(kept)
        let fieldsWanted = "expected 5 fields (minute hour day-of-month month day-of-week) or a shorthand such as @daily"
        if trimmed.hasPrefix("@") {
            guard let expansion = shorthands[trimmed.lowercased()] else {
                throw CronError(field: "", message: "\(trimmed) is not a shorthand this scheduler knows; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly, or 5 fields (minute hour day-of-month month day-of-week)")
            }
            return try CronSchedule(text: trimmed, fields: expansion.split(separator: " "))
        }
        let fields = trimmed.split(whereSeparator: \.isWhitespace)
        guard fields.count == 5 else {
            throw CronError(field: "", message: "\(fieldsWanted), found \(fields.isEmpty ? "none" : "\(fields.count)")")
        }
        return try CronSchedule(text: trimmed, fields: fields)
    }

    private static let shorthands: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    private init(text: String, fields: [Substring]) throws(CronError) {
        self.text = text
        minutes = try CronField.minute.parse(fields[0]).values
        hours = try CronField.hour.parse(fields[1]).values
        let dayOfMonth = try CronField.dayOfMonth.parse(fields[2])
        months = try CronField.month.parse(fields[3]).values
        let dayOfWeek = try CronField.dayOfWeek.parse(fields[4])
        (daysOfMonth, dayOfMonthIsEvery) = dayOfMonth
        (daysOfWeek, dayOfWeekIsEvery) = dayOfWeek
        var pattern: UInt64 = 0
        for bit in 0..<64 where daysOfWeek & (1 << UInt64(bit % 7)) != 0 {
            pattern |= 1 << UInt64(bit)
        }
        weekdayPattern = pattern
        if dayOfMonthIsEvery || !dayOfWeekIsEvery {
            canFire = true
        } else {
            // Only the day of month restricts: some chosen month must have some chosen day (February has 29).
            let (chosenMonths, chosenDays) = (months, daysOfMonth)
            canFire = (1...12).contains { month in
                Bits.contains(chosenMonths, month)
                    && Bits.atOrBelow(chosenDays, CivilCalendar.daysIn(month: month, year: 2000)) != 0
            }
        }
    }

    /// The ticks strictly after `after` and at or before `through` (epoch milliseconds UTC), in order, at most
    /// `limit`; each instant once, even when two local times fire at it (see the type's daylight-saving rules).
    public func ticks(after: Int64, through: Int64, in zone: ScheduleZone, limit: Int) -> [Int64] {
        let after = max(after, Self.earliest - 1), through = min(through, Self.latest)
        guard limit > 0, through > after, canFire else { return [] }
        var cursor = ZoneCursor(zone.rules)
        let afterSecond = CivilCalendar.floorDiv(after, 1000)
        // Local times before the wall-clock time at `after` fire at or before it.
        var local = afterSecond + zone.rules.offset(at: afterSecond)
        // A local time this late fires after `through` whatever the offset.
        let lastLocal = CivilCalendar.floorDiv(through, 1000) + ZoneRules.maximumOffset
        var result: [Int64] = []
        var last = Int64.min
        while result.count < limit, let match = nextMatch(atOrAfter: local, notAfter: lastLocal) {
            let tick = cursor.instant(ofLocal: match) * 1000
            if tick > through { break }
            if tick > after, tick > last {
                result.append(tick)
                last = tick
            }
            local = match + 60
        }
        return result
    }

    /// The first tick strictly after `after` (epoch milliseconds UTC), or nil when there is none within the next
    /// 5 years (1,827 days): `0 0 30 2 *` never fires, `0 0 29 2 *` after 2096 waits until 2104.
    public func next(after: Int64, in zone: ScheduleZone) -> Int64? {
        let after = min(max(after, Self.earliest - 1), Self.latest)
        return ticks(after: after, through: after + Self.horizon, in: zone, limit: 1).first
    }

    /// The last tick at or before `at` (epoch milliseconds UTC), or nil when there is none within the previous
    /// 5 years (1,827 days).
    public func previous(atOrBefore at: Int64, in zone: ScheduleZone) -> Int64? {
        let at = min(max(at, Self.earliest), Self.latest)
        guard canFire else { return nil }
        let atSecond = CivilCalendar.floorDiv(at, 1000)
        let earliestTick = at - Self.horizon
        var cursor = ZoneCursor(zone.rules)
        // The latest local time that can fire at or before `at`: in a repeated hour, the wall clock has already
        // been later than it is now.
        var local = atSecond + zone.rules.largestOffset(before: atSecond)
        let firstLocal = CivilCalendar.floorDiv(earliestTick, 1000) - ZoneRules.maximumOffset
        while let match = previousMatch(atOrBefore: local, notBefore: firstLocal) {
            let tick = cursor.instant(ofLocal: match) * 1000
            if tick <= at { return tick >= earliestTick ? tick : nil }
            local = match - 60
        }
        return nil
    }

    // MARK: - Local wall-clock times that match

    /// The days of `month` in `year` that match (bits 1-31), by the Vixie-cron rule.
    private func days(year: Int64, month: Int64, firstDay: Int64) -> UInt64 {
        let length = CivilCalendar.daysIn(month: month, year: year)
        let inMonth = Bits.atOrBelow(UInt64.max, length) & ~1
        let firstWeekday = CivilCalendar.weekday(days: firstDay)
        // Day d has weekday (firstWeekday + d - 1) % 7.
        let byWeekday = (weekdayPattern << 1) >> UInt64(firstWeekday)
        switch (dayOfMonthIsEvery, dayOfWeekIsEvery) {
        case (true, true): return inMonth
        case (true, false): return byWeekday & inMonth
        case (false, true): return daysOfMonth & inMonth
        case (false, false): return (daysOfMonth | byWeekday) & inMonth
        }
    }

    /// The first local time (seconds since the epoch as if the zone were UTC, a whole minute) at or after `start`
    /// that the fields match, or nil when there is none up to `limit`. Skips whole months, days and hours.
    private func nextMatch(atOrAfter start: Int64, notAfter limit: Int64) -> Int64? {
        let startMinute = -CivilCalendar.floorDiv(-start, 60)
        let startDay = CivilCalendar.floorDiv(startMinute, 1440)
        var (year, month, day) = CivilCalendar.date(days: startDay)
        var hour = (startMinute - startDay * 1440) / 60
        var minute = startMinute - startDay * 1440 - hour * 60
        func nextMonth() {
            let later = Bits.atOrAbove(months, month + 1)
            if later != 0 {
                month = Bits.lowest(later)
            } else {
                year += 1
                month = Bits.lowest(months)
            }
            (day, hour, minute) = (1, 0, 0)
        }
        while true {
            let firstDay = CivilCalendar.days(year: year, month: month, day: 1)
            if (firstDay + day - 1) * CivilCalendar.secondsPerDay > limit { return nil }
            guard Bits.contains(months, month) else { nextMonth(); continue }
            let matchingDays = Bits.atOrAbove(days(year: year, month: month, firstDay: firstDay), day)
            guard matchingDays != 0 else { nextMonth(); continue }
            let matchingDay = Bits.lowest(matchingDays)
            if matchingDay != day { (day, hour, minute) = (matchingDay, 0, 0) }
            let matchingHours = Bits.atOrAbove(hours, hour)
            guard matchingHours != 0 else { (day, hour, minute) = (day + 1, 0, 0); continue }
            let matchingHour = Bits.lowest(matchingHours)
            if matchingHour != hour { (hour, minute) = (matchingHour, 0) }
            let matchingMinutes = Bits.atOrAbove(minutes, minute)
            guard matchingMinutes != 0 else { (hour, minute) = (hour + 1, 0); continue }
            minute = Bits.lowest(matchingMinutes)
            let local = ((firstDay + day - 1) * 1440 + hour * 60 + minute) * 60
            return local <= limit ? local : nil
        }
    }

    /// The last local time at or before `start` that the fields match, or nil when there is none down to `limit`.
    private func previousMatch(atOrBefore start: Int64, notBefore limit: Int64) -> Int64? {
        let startMinute = CivilCalendar.floorDiv(start, 60)
        let startDay = CivilCalendar.floorDiv(startMinute, 1440)
        var (year, month, day) = CivilCalendar.date(days: startDay)
        var hour = (startMinute - startDay * 1440) / 60
        var minute = startMinute - startDay * 1440 - hour * 60
        func previousMonth() {
            let earlier = Bits.atOrBelow(months, month - 1)
            if earlier != 0 {
                month = Bits.highest(earlier)
            } else {
                year -= 1
                month = Bits.highest(months)
            }
            (day, hour, minute) = (CivilCalendar.daysIn(month: month, year: year), 23, 59)
        }
        while true {
            let firstDay = CivilCalendar.days(year: year, month: month, day: 1)
            if (firstDay + day) * CivilCalendar.secondsPerDay <= limit { return nil }
            guard Bits.contains(months, month) else { previousMonth(); continue }
            let matchingDays = Bits.atOrBelow(days(year: year, month: month, firstDay: firstDay), day)
            guard matchingDays != 0 else { previousMonth(); continue }
            let matchingDay = Bits.highest(matchingDays)
            if matchingDay != day { (day, hour, minute) = (matchingDay, 23, 59) }
            let matchingHours = Bits.atOrBelow(hours, hour)
            guard matchingHours != 0 else { (day, hour, minute) = (day - 1, 23, 59); continue }
            let matchingHour = Bits.highest(matchingHours)
            if matchingHour != hour { (hour, minute) = (matchingHour, 59) }
            let matchingMinutes = Bits.atOrBelow(minutes, minute)
            guard matchingMinutes != 0 else { (hour, minute) = (hour - 1, 59); continue }
            minute = Bits.highest(matchingMinutes)
            let local = ((firstDay + day - 1) * 1440 + hour * 60 + minute) * 60
            return local >= limit ? local : nil
        }
    }
}
