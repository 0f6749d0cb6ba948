import Schedules
import Testing

/// The instants schedules fire at. Every expected instant is written as the local wall-clock time with the offset
/// the tz rules give at that moment (US: second Sunday of March 02:00 -> 03:00, first Sunday of November
/// 02:00 -> 01:00; EU: last Sunday of March 01:00 UTC, last Sunday of October 01:00 UTC).
@Suite("Cron ticks")
struct CronTicksTests {
    static let losAngeles = "America/Los_Angeles"

    /// `#expect` on two lists of instants, printed in UTC when they differ.
    func expectTicks(_ actual: [Int64], _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Instant.utc(actual) == Instant.utc(Instant.ms(expected)), sourceLocation: sourceLocation)
    }

    // MARK: Daylight saving

    @Test func dailyInLosAngelesAcrossSpringForward() throws {
        // 2026-03-08 has no 02:45: the day's run is at 03:00 PDT, the first instant after the gap.
        let ticks = try cron("45 2 * * *").ticks(after: Instant.ms("2026-03-06T12:00:00Z"), through: Instant.ms("2026-03-10T12:00:00Z"),
                                                 in: zone(Self.losAngeles), limit: 100)
        expectTicks(ticks, ["2026-03-07T02:45:00-08:00", "2026-03-08T03:00:00-07:00", "2026-03-09T02:45:00-07:00",
                            "2026-03-10T02:45:00-07:00"])
    }

    @Test func dailyInLosAngelesAcrossFallBack() throws {
        let la = try zone(Self.losAngeles)
        // 02:45 happens once on 2026-11-01 (the repeated hour is 01:00-01:59).
        let ticks = try cron("45 2 * * *").ticks(after: Instant.ms("2026-10-30T12:00:00Z"), through: Instant.ms("2026-11-02T12:00:00Z"),
                                                 in: la, limit: 100)
        expectTicks(ticks, ["2026-10-31T02:45:00-07:00", "2026-11-01T02:45:00-08:00", "2026-11-02T02:45:00-08:00"])
        // 01:30 happens twice: it fires at the first, in daylight time, and not again an hour later.
        let repeated = try cron("30 1 * * *").ticks(after: Instant.ms("2026-10-31T00:00:00Z"), through: Instant.ms("2026-11-03T00:00:00Z"),
                                                    in: la, limit: 100)
        expectTicks(repeated, ["2026-10-31T01:30:00-07:00", "2026-11-01T01:30:00-07:00", "2026-11-02T01:30:00-08:00"])
    }

    @Test func hourlyFires23TimesOnSpringForwardDayAnd24OnFallBackDay() throws {
        let la = try zone(Self.losAngeles)
        let hourly = try cron("0 * * * *")
        let spring = hourly.ticks(after: Instant.ms("2026-03-08T00:00:00-08:00") - 1, through: Instant.ms("2026-03-08T23:59:59-07:00"),
                                  in: la, limit: 100)
        #expect(spring.count == 23)
        expectTicks(Array(spring.prefix(4)), ["2026-03-08T00:00:00-08:00", "2026-03-08T01:00:00-08:00", "2026-03-08T03:00:00-07:00",
                                              "2026-03-08T04:00:00-07:00"])
        // A 25-hour day, but 01:00 fires only at its first occurrence.
        let fall = hourly.ticks(after: Instant.ms("2026-11-01T00:00:00-07:00") - 1, through: Instant.ms("2026-11-01T23:59:59-08:00"),
                                in: la, limit: 100)
        #expect(fall.count == 24)
        expectTicks(Array(fall.prefix(4)), ["2026-11-01T00:00:00-07:00", "2026-11-01T01:00:00-07:00", "2026-11-01T02:00:00-08:00",
                                            "2026-11-01T03:00:00-08:00"])
    }

    @Test func halfPastTheHourMovesItsSkippedRunToTheEndOfTheGap() throws {
        // 02:30 does not exist on 2026-03-08; it fires at 03:00, which no other tick of this schedule holds,
        // so the day keeps 24 runs.
        let ticks = try cron("30 * * * *").ticks(after: Instant.ms("2026-03-08T00:00:00-08:00"), through: Instant.ms("2026-03-08T23:59:59-07:00"),
                                                 in: zone(Self.losAngeles), limit: 100)
        #expect(ticks.count == 24)
        expectTicks(Array(ticks.prefix(4)), ["2026-03-08T00:30:00-08:00", "2026-03-08T01:30:00-08:00", "2026-03-08T03:00:00-07:00",
                                             "2026-03-08T03:30:00-07:00"])
    }

    @Test func frequentSchedulesAreQuietDuringTheRepeatedHour() throws {
        let la = try zone(Self.losAngeles)
        let quarterly = try cron("*/15 * * * *")
        // At 01:15 PST the wall clock has already shown 01:15-01:59 once (in PDT): the next run is 02:00 PST.
        #expect(quarterly.next(after: Instant.ms("2026-11-01T01:15:00-08:00"), in: la) == Instant.ms("2026-11-01T02:00:00-08:00"))
        let night = quarterly.ticks(after: Instant.ms("2026-11-01T00:50:00-07:00"), through: Instant.ms("2026-11-01T02:10:00-08:00"),
                                    in: la, limit: 100)
        expectTicks(night, ["2026-11-01T01:00:00-07:00", "2026-11-01T01:15:00-07:00", "2026-11-01T01:30:00-07:00",
                            "2026-11-01T01:45:00-07:00", "2026-11-01T02:00:00-08:00"])
    }

    @Test func londonAcrossBothChanges() throws {
        let london = try zone("Europe/London")
        let schedule = try cron("30 1 * * *")
        let spring = schedule.ticks(after: Instant.ms("2026-03-27T12:00:00Z"), through: Instant.ms("2026-03-30T12:00:00Z"), in: london, limit: 10)
        expectTicks(spring, ["2026-03-28T01:30:00+00:00", "2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"])
        let autumn = schedule.ticks(after: Instant.ms("2026-10-24T12:00:00Z"), through: Instant.ms("2026-10-26T12:00:00Z"), in: london, limit: 10)
        expectTicks(autumn, ["2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00"])
    }

    @Test func kolkataIsFiveAndAHalfHoursAhead() throws {
        let ticks = try cron("0 9 * * *").ticks(after: Instant.ms("2026-05-19T12:00:00Z"), through: Instant.ms("2026-05-21T12:00:00Z"),
                                                in: zone("Asia/Kolkata"), limit: 10)
        expectTicks(ticks, ["2026-05-20T09:00:00+05:30", "2026-05-21T09:00:00+05:30"])
        #expect(Instant.utc(ticks[0]) == "2026-05-20T03:30:00Z")
    }

    @Test func lordHoweChangesByHalfAnHour() throws {
        let lordHowe = try zone("Australia/Lord_Howe")
        // 2026-10-04 02:00 +10:30 -> 02:30 +11:00: 02:15 fires at 02:30.
        let spring = try cron("15 2 * * *").ticks(after: Instant.ms("2026-10-02T12:00:00Z"), through: Instant.ms("2026-10-05T12:00:00Z"),
                                                  in: lordHowe, limit: 10)
        expectTicks(spring, ["2026-10-03T02:15:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"])
        // 2026-04-05 02:00 +11:00 -> 01:30 +10:30: 01:45 fires once, in daylight time.
        let autumn = try cron("45 1 * * *").ticks(after: Instant.ms("2026-04-03T12:00:00Z"), through: Instant.ms("2026-04-06T12:00:00Z"),
                                                  in: lordHowe, limit: 10)
        expectTicks(autumn, ["2026-04-04T01:45:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"])
        // Hourly on the 23.5-hour day: 02:00 is skipped and fires at 02:30, so 24 runs.
        let hourly = try cron("0 * * * *").ticks(after: Instant.ms("2026-10-04T00:00:00+10:30") - 1, through: Instant.ms("2026-10-04T23:59:59+11:00"),
                                                 in: lordHowe, limit: 100)
        #expect(hourly.count == 24)
        #expect(hourly.contains(Instant.ms("2026-10-04T02:30:00+11:00")))
    }

    @Test func samoaSkippedADayAndTheDailyRunStillHappens() throws {
        // Pacific/Apia went from 2011-12-29 23:59:59 -10:00 to 2011-12-31 00:00:00 +14:00.
        let ticks = try cron("0 12 * * *").ticks(after: Instant.ms("2011-12-29T00:00:00Z"), through: Instant.ms("2012-01-01T12:00:00Z"),
                                                 in: zone("Pacific/Apia"), limit: 10)
        expectTicks(ticks, ["2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00",
                            "2012-01-01T12:00:00+14:00"])
    }

    @Test func historicalAndFarFutureRules() throws {
        let noon = try cron("0 12 * * *")
        let london = try zone("Europe/London")
        #expect(noon.next(after: Instant.ms("1969-01-15T00:00:00Z"), in: london) == Instant.ms("1969-01-15T12:00:00+01:00"))
        #expect(noon.next(after: Instant.ms("1944-06-01T00:00:00Z"), in: try zone("Asia/Kolkata")) == Instant.ms("1944-06-01T12:00:00+06:30"))
        // 2150: the US rules still hold (2150-03-08 is the second Sunday of March).
        let ticks = try cron("30 2 * * *").ticks(after: Instant.ms("2150-03-06T12:00:00Z"), through: Instant.ms("2150-03-09T12:00:00Z"),
                                                 in: zone(Self.losAngeles), limit: 10)
        expectTicks(ticks, ["2150-03-07T02:30:00-08:00", "2150-03-08T03:00:00-07:00", "2150-03-09T02:30:00-07:00"])
    }

    // MARK: Days of the month and of the week

    @Test func the31stSkipsShortMonths() throws {
        let ticks = try cron("0 0 31 * *").ticks(after: Instant.ms("2026-01-01T00:00:00Z"), through: Instant.ms("2027-01-01T00:00:00Z"),
                                                 in: .utc, limit: 100)
        expectTicks(ticks, ["2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
                            "2026-08-31T00:00:00Z", "2026-10-31T00:00:00Z", "2026-12-31T00:00:00Z"])
    }

    @Test func leapDayComesEveryFourYearsExceptCenturies() throws {
        let leapDay = try cron("0 0 29 2 *")
        #expect(leapDay.next(after: Instant.ms("2024-02-29T00:00:00Z"), in: .utc) == Instant.ms("2028-02-29T00:00:00Z"))
        #expect(leapDay.previous(atOrBefore: Instant.ms("2028-02-28T23:59:59Z"), in: .utc) == Instant.ms("2024-02-29T00:00:00Z"))
        // 2100 is not a leap year: after 2096 the next is 2104, beyond the 5 years `next` looks ahead.
        #expect(leapDay.next(after: Instant.ms("2096-03-01T00:00:00Z"), in: .utc) == nil)
        #expect(leapDay.next(after: Instant.ms("2099-06-01T00:00:00Z"), in: .utc) == Instant.ms("2104-02-29T00:00:00Z"))
    }

    @Test(arguments: ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 2 *"])
    func schedulesThatCanNeverFireGiveNothing(_ text: String) throws {
        let schedule = try cron(text)
        let now = Instant.ms("2026-05-20T00:00:00Z")
        #expect(schedule.next(after: now, in: .utc) == nil)
        #expect(schedule.previous(atOrBefore: now, in: .utc) == nil)
        #expect(schedule.ticks(after: now, through: Int64.max, in: try zone(Self.losAngeles), limit: Int.max).isEmpty)
    }

    @Test func everyQuarterHourInOfficeHoursOnWeekdays() throws {
        let schedule = try cron("*/15 9-17 * * MON-FRI")
        // Friday 17:45 is the week's last; Monday 09:00 the next.
        #expect(schedule.next(after: Instant.ms("2026-05-22T17:45:00Z"), in: .utc) == Instant.ms("2026-05-25T09:00:00Z"))
        let week = schedule.ticks(after: Instant.ms("2026-05-24T00:00:00Z"), through: Instant.ms("2026-05-31T00:00:00Z"), in: .utc, limit: 1000)
        #expect(week.count == 5 * 9 * 4)
        expectTicks([week[0], week[1], week[35], week[36], week[179]],
                    ["2026-05-25T09:00:00Z", "2026-05-25T09:15:00Z", "2026-05-25T17:45:00Z", "2026-05-26T09:00:00Z",
                     "2026-05-29T17:45:00Z"])
    }

    @Test func dayOfMonthOrDayOfWeekWhenBothAreRestricted() throws {
        // April 2026: Fridays are the 3rd, 10th, 17th and 24th; the 13th is a Monday.
        let ticks = try cron("0 0 13 * FRI").ticks(after: Instant.ms("2026-04-01T00:00:00Z"), through: Instant.ms("2026-04-30T23:59:59Z"),
                                                   in: .utc, limit: 100)
        expectTicks(ticks, ["2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z", "2026-04-13T00:00:00Z", "2026-04-17T00:00:00Z",
                            "2026-04-24T00:00:00Z"])
        // Only the weekday restricts when the day of month is *; only the day when the weekday is *.
        #expect(try cron("0 0 * * FRI").ticks(after: Instant.ms("2026-04-01T00:00:00Z"), through: Instant.ms("2026-04-30T23:59:59Z"),
                                              in: .utc, limit: 100).count == 4)
        #expect(try cron("0 0 13 * *").ticks(after: Instant.ms("2026-04-01T00:00:00Z"), through: Instant.ms("2026-04-30T23:59:59Z"),
                                             in: .utc, limit: 100) == [Instant.ms("2026-04-13T00:00:00Z")])
        // */2 restricts: odd days of June 2026 or Mondays (1st, 8th, 15th, 22nd, 29th).
        let june = try cron("0 0 */2 * MON").ticks(after: Instant.ms("2026-06-01T00:00:00Z") - 1, through: Instant.ms("2026-06-30T23:59:59Z"),
                                                   in: .utc, limit: 100)
        #expect(june.count == 15 + 2)
        #expect(june.contains(Instant.ms("2026-06-08T00:00:00Z")))
        #expect(!june.contains(Instant.ms("2026-06-02T00:00:00Z")))
    }

    // MARK: ticks, next, previous

    @Test func ticksOverAMonthAndUpToALimit() throws {
        let london = try zone("Europe/London")
        let weekdays = try cron("0 9 * * MON-FRI")
        let (from, to) = (Instant.ms("2026-06-01T00:00:00+01:00"), Instant.ms("2026-07-01T00:00:00+01:00"))
        let june = weekdays.ticks(after: from, through: to, in: london, limit: 100)
        #expect(june.count == 22)
        #expect(june.first == Instant.ms("2026-06-01T09:00:00+01:00"))
        #expect(june.last == Instant.ms("2026-06-30T09:00:00+01:00"))
        let firstFive = weekdays.ticks(after: from, through: to, in: london, limit: 5)
        #expect(firstFive == Array(june.prefix(5)))
        #expect(weekdays.ticks(after: from, through: to, in: london, limit: 0).isEmpty)
        #expect(weekdays.ticks(after: to, through: from, in: london, limit: 10).isEmpty)
    }

    @Test func ticksAreStrictlyAfterAndAtOrBeforeTheEnds() throws {
        let hourly = try cron("@hourly")
        let (one, two, three) = (Instant.ms("2026-05-20T01:00:00Z"), Instant.ms("2026-05-20T02:00:00Z"), Instant.ms("2026-05-20T03:00:00Z"))
        #expect(hourly.ticks(after: one, through: three, in: .utc, limit: 10) == [two, three])
        #expect(hourly.ticks(after: one - 1, through: three - 1, in: .utc, limit: 10) == [one, two])
        #expect(hourly.next(after: one, in: .utc) == two)
        #expect(hourly.next(after: one - 1, in: .utc) == one)
    }

    @Test func previousIsAtOrBefore() throws {
        let la = try zone(Self.losAngeles)
        let daily = try cron("45 2 * * *")
        let gapTick = Instant.ms("2026-03-08T03:00:00-07:00")
        #expect(daily.previous(atOrBefore: gapTick, in: la) == gapTick)
        #expect(daily.previous(atOrBefore: gapTick - 1, in: la) == Instant.ms("2026-03-07T02:45:00-08:00"))
        #expect(daily.previous(atOrBefore: Instant.ms("2026-03-08T03:30:00-07:00"), in: la) == gapTick)
        // At 01:45 PST the repeated 01:30 last fired in PDT, an hour and a quarter earlier.
        #expect(try cron("30 1 * * *").previous(atOrBefore: Instant.ms("2026-11-01T01:45:00-08:00"), in: la)
                == Instant.ms("2026-11-01T01:30:00-07:00"))
        #expect(try cron("@yearly").previous(atOrBefore: Instant.ms("2026-05-20T00:00:00Z"), in: .utc) == Instant.ms("2026-01-01T00:00:00Z"))
        #expect(try cron("@monthly").previous(atOrBefore: Instant.ms("2026-05-20T00:00:00Z"), in: la) == Instant.ms("2026-05-01T00:00:00-07:00"))
    }

    /// `next` and `previous` agree with `ticks` on every tick of a year, in zones with every kind of change.
    @Test(arguments: ["America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"])
    func nextPreviousAndTicksAgree(_ name: String) throws {
        let place = try zone(name)
        for text in ["0 * * * *", "30 1,2 * * *", "*/20 0-3 * * SUN", "45 2 1,15 * *"] {
            let schedule = try cron(text)
            let ticks = schedule.ticks(after: Instant.ms("2026-01-01T00:00:00Z"), through: Instant.ms("2027-01-01T00:00:00Z"), in: place, limit: 20_000)
            #expect(!ticks.isEmpty)
            #expect(zip(ticks, ticks.dropFirst()).allSatisfy { $0 < $1 })
            for (earlier, later) in zip(ticks, ticks.dropFirst()) {
                #expect(schedule.next(after: earlier, in: place) == later, "\(text) after \(Instant.utc(earlier))")
                #expect(schedule.previous(atOrBefore: later - 1, in: place) == earlier, "\(text) before \(Instant.utc(later))")
                #expect(schedule.previous(atOrBefore: later, in: place) == later)
            }
        }
    }

    /// Against a plain minute-by-minute reading of the fields in UTC, where every local time happens once.
    @Test func matchesAMinuteByMinuteReading() throws {
        struct Fields {
            var text: String
            var minutes: Set<Int64>, hours: Set<Int64>, days: Set<Int64>?, months: Set<Int64>, weekdays: Set<Int64>?
        }
        let all = { (range: ClosedRange<Int64>) in Set(range) }
        let cases = [
            Fields(text: "*/7 */5 * * *", minutes: Set(stride(from: 0, through: 59, by: 7)), hours: Set(stride(from: 0, through: 23, by: 5)),
                   days: nil, months: all(1...12), weekdays: nil),
            Fields(text: "0,30 9-17 1-7 * MON", minutes: [0, 30], hours: all(9...17), days: all(1...7), months: all(1...12), weekdays: [1]),
            Fields(text: "15 3 * FEB-APR,OCT 6,0", minutes: [15], hours: [3], days: nil, months: [2, 3, 4, 10], weekdays: [0, 6]),
            Fields(text: "59 23 31 * *", minutes: [59], hours: [23], days: [31], months: all(1...12), weekdays: nil),
            Fields(text: "0 12 10/10 */3 *", minutes: [0], hours: [12], days: [10, 20, 30], months: [1, 4, 7, 10], weekdays: nil),
        ]
        let from = Instant.ms("2027-12-01T00:00:00Z"), to = Instant.ms("2028-12-31T00:00:00Z")
        for fields in cases {
            var expected: [Int64] = []
            var minute = from / 60_000 + 1
            while minute * 60_000 <= to {
                let day = minute / 1440
                let (_, month, date) = Instant.date(day)
                let weekday = (day + 4) % 7
                let dayMatches: Bool
                switch (fields.days, fields.weekdays) {
                case (nil, nil): dayMatches = true
                case (let days?, nil): dayMatches = days.contains(date)
                case (nil, let weekdays?): dayMatches = weekdays.contains(weekday)
                case (let days?, let weekdays?): dayMatches = days.contains(date) || weekdays.contains(weekday)
                }
                if dayMatches, fields.months.contains(month), fields.hours.contains(minute % 1440 / 60), fields.minutes.contains(minute % 60) {
                    expected.append(minute * 60_000)
                }
                minute += 1
            }
            let ticks = try cron(fields.text).ticks(after: from, through: to, in: .utc, limit: 1_000_000)
            #expect(ticks == expected, "\(fields.text)")
        }
    }
}
