import Schedules
import Testing

/// What `CronSchedule.parse` accepts and how it refuses the rest: each refusal names its field and says what to
/// write instead.
@Suite("Cron expressions")
struct CronParsingTests {
    @Test(arguments: [
        "* * * * *", "0 0 * * *", "45 2 * * *", "*/15 9-17 * * MON-FRI", "0,30 8-18/2 1,15 * 1-5",
        "5/20 * * * *", "0 0 1 JAN,jul *", "0 12 * * sun", "0 0 * * 7", "0 0 * * FRI-SUN", "00 09 01 01 0",
        "0 0 */2 * *", "0 0 1-31/10 * *", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
        "@hourly", "@Daily",
    ])
    func accepts(_ text: String) throws {
        #expect(try CronSchedule.parse(text).text == text)
    }

    @Test func keepsTheTextTrimmedAndSplitsOnAnyWhiteSpace() throws {
        let schedule = try CronSchedule.parse("  0\t12  * *\n* \n")
        #expect(schedule.text == "0\t12  * *\n*")
        let noon = Instant.ms("2026-05-20T12:00:00Z")
        #expect(schedule.next(after: noon - 1, in: .utc) == noon)
    }

    struct Refusal: Sendable, CustomStringConvertible {
        var text: String
        var field: String
        var message: String
        var description: String { text }
    }

    static let fieldsWanted = "expected 5 fields (minute hour day-of-month month day-of-week) or a shorthand such as @daily"

    @Test(arguments: [
        Refusal(text: "", field: "", message: "\(fieldsWanted), found none"),
        Refusal(text: "   ", field: "", message: "\(fieldsWanted), found none"),
        Refusal(text: "0 0 * * * *", field: "", message: "\(fieldsWanted), found 6"),
        Refusal(text: "0 0 * *", field: "", message: "\(fieldsWanted), found 4"),
        Refusal(text: "60 * * * *", field: "minute", message: "60 is out of range 0-59"),
        Refusal(text: "0 24 * * *", field: "hour", message: "24 is out of range 0-23"),
        Refusal(text: "0 0 0 * *", field: "day of month", message: "0 is out of range 1-31"),
        Refusal(text: "0 0 * 13 *", field: "month", message: "13 is out of range 1-12"),
        Refusal(text: "0 0 * * 8", field: "day of week", message: "8 is out of range 0-7"),
        Refusal(text: "0 0-60 * * *", field: "hour", message: "60 is out of range 0-23"),
        Refusal(text: "5-1 * * * *", field: "minute", message: "5-1 is a reversed range; write 1-5, or 5-59,0-1 to wrap around"),
        Refusal(text: "0 0 * * FRI-MON", field: "day of week",
                message: "FRI-MON is a reversed range; write MON-FRI, or FRI-SAT,SUN-MON to wrap around"),
        Refusal(text: "0 0 * * 7-2", field: "day of week",
                message: "7-2 is a reversed range; 7 is Sunday, which also starts the week as 0: write 0-2"),
        Refusal(text: "*/0 * * * *", field: "minute", message: "*/0 has a step of 0; a step must be at least 1, e.g. */15"),
        Refusal(text: "0 */x * * *", field: "hour", message: "the step in */x is not a number; write a step such as */15 or 0-30/5"),
        Refusal(text: "*/5/2 * * * *", field: "minute", message: "*/5/2 has more than one /; write one step, e.g. */15 or 0-30/5"),
        Refusal(text: "1,,2 * * * *", field: "minute", message: "1,,2 has an empty item; separate values with single commas, e.g. 1,15"),
        Refusal(text: "0 0 * FOO *", field: "month", message: "FOO is not a month; write a number 1-12 or a name JAN-DEC"),
        Refusal(text: "0 0 * MON *", field: "month", message: "MON is not a month; write a number 1-12 or a name JAN-DEC"),
        Refusal(text: "0 0 * * JAN", field: "day of week",
                message: "JAN is not a day of the week; write a number 0-7 (0 and 7 are Sunday) or a name SUN-SAT"),
        Refusal(text: "0 noon * * *", field: "hour", message: "noon is not a number; write a number 0-23"),
        Refusal(text: "-5 * * * *", field: "minute",
                message: "-5 is not a value, range or step; write a number 0-59, * for every value, a range such as 1-5, a step such as */15, or a list such as 1,15"),
        Refusal(text: "0 0 L * *", field: "day of month",
                message: "L (the last day of the month) is not supported; run on day 1 of the next month, or on 28-31 and check the date in the workflow"),
        Refusal(text: "0 0 15W * *", field: "day of month",
                message: "15W (the nearest weekday) is not supported; name the day of the month, or run on weekdays and check the date in the workflow"),
        Refusal(text: "0 0 * * 5L", field: "day of week",
                message: "5L (the last such weekday of the month) is not supported; run on that weekday and check the date in the workflow"),
        Refusal(text: "0 0 * * MON#2", field: "day of week",
                message: "MON#2 (the nth weekday of the month) is not supported; run on that weekday and check the date in the workflow"),
        Refusal(text: "0 0 ? * MON", field: "day of month", message: "? is not supported; write * for any value"),
        Refusal(text: "@reboot", field: "",
                message: "@reboot is not a shorthand this scheduler knows; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly, or 5 fields (minute hour day-of-month month day-of-week)"),
        Refusal(text: "@every 1h", field: "",
                message: "@every 1h is not a shorthand this scheduler knows; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly, or 5 fields (minute hour day-of-month month day-of-week)"),
    ])
    func refuses(_ refusal: Refusal) {
        #expect(throws: CronError(field: refusal.field, message: refusal.message)) {
            try CronSchedule.parse(refusal.text)
        }
    }

    @Test func theFirstWrongFieldIsReported() {
        #expect(throws: CronError(field: "minute", message: "60 is out of range 0-59")) {
            try CronSchedule.parse("60 24 * * *")
        }
    }

    @Test func descriptionPutsTheFieldFirst() {
        #expect(CronError(field: "hour", message: "24 is out of range 0-23").description == "hour: 24 is out of range 0-23")
        #expect(CronError(field: "", message: "\(Self.fieldsWanted), found 6").description == "\(Self.fieldsWanted), found 6")
    }

    /// Forms that mean the same fire at the same instants over a year (in a zone with daylight saving).
    @Test(arguments: [
        ("0 0 * * 7", "0 0 * * 0"),
        ("0 0 * * SUN", "0 0 * * 0"),
        ("0 0 * * sun", "0 0 * * 0"),
        ("0 0 * * FRI-SUN", "0 0 * * 5,6,0"),
        ("0 0 * * 5-7", "0 0 * * 0,5,6"),
        ("0 0 * * 0-7", "0 0 * * *"),
        ("0 0 1 jan-Mar *", "0 0 1 1,2,3 *"),
        ("5/20 * * * *", "5,25,45 * * * *"),
        ("10-30/10 * * * *", "10,20,30 * * * *"),
        ("0 */6 * * *", "0 0,6,12,18 * * *"),
        ("0 0 * * MON/2", "0 0 * * 1,3,5"),
        ("0 0 * * */1", "0 0 * * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ])
    func sameMeaning(_ written: String, _ plain: String) throws {
        let london = try zone("Europe/London")
        let (from, to) = (Instant.ms("2026-01-01T00:00:00Z"), Instant.ms("2027-01-01T00:00:00Z"))
        let a = try cron(written).ticks(after: from, through: to, in: london, limit: 10_000)
        let b = try cron(plain).ticks(after: from, through: to, in: london, limit: 10_000)
        #expect(!a.isEmpty)
        #expect(a == b)
    }

    @Test func equalityIncludesTheText() throws {
        #expect(try cron("@daily") == cron("@daily"))
        #expect(try cron("@daily") != cron("0 0 * * *"))
        #expect(try cron("0 0 * * 7") != cron("0 0 * * 0"))
    }
}
