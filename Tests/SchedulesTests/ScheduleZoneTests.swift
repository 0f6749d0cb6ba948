import Schedules
import Testing

/// Zones by IANA name and their offsets, now, in the past and in the future.
@Suite("Schedule zones")
struct ScheduleZoneTests {
    @Test(arguments: [
        "UTC", "Etc/UTC", "GMT", "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe",
        "America/Argentina/Buenos_Aires", "Pacific/Apia", "US/Pacific", "Asia/Calcutta", "Etc/GMT+5",
    ])
    func knowsIANANames(_ identifier: String) {
        #expect(ScheduleZone(identifier: identifier)?.identifier == identifier)
    }

    @Test(arguments: [
        "", "PST", "EST", "IST", "CET", "+05:30", "GMT+1", "UTC+1", "GMT+0530", "utc", "america/los_angeles",
        "America/Nowhere", "Nowhere/City", "America/Los_Angeles/", "/UTC", "SystemV/PST8PDT", "Local",
    ])
    func refusesAbbreviationsOffsetsAndUnknownNames(_ identifier: String) {
        #expect(ScheduleZone(identifier: identifier) == nil)
    }

    @Test func utcIsFixedAndEqualityIsByName() throws {
        #expect(ScheduleZone.utc.identifier == "UTC")
        #expect(ScheduleZone.utc.offsetSeconds(at: Instant.ms("2026-07-01T00:00:00Z")) == 0)
        #expect(ScheduleZone.utc.offsetSeconds(at: Instant.ms("0001-01-01T00:00:00Z")) == 0)
        #expect(try zone("UTC") == .utc)
        #expect(try zone("Etc/UTC") != .utc)
        #expect(try zone("Europe/London") == zone("Europe/London"))
    }

    struct Offset: Sendable, CustomStringConvertible {
        var zone: String
        var at: String
        var seconds: Int
        var description: String { "\(zone) at \(at)" }
    }

    @Test(arguments: [
        Offset(zone: "America/Los_Angeles", at: "2026-01-15T12:00:00Z", seconds: -8 * 3600),
        Offset(zone: "America/Los_Angeles", at: "2026-07-15T12:00:00Z", seconds: -7 * 3600),
        // The instant of the spring-forward change already has the new offset, the second before the old.
        Offset(zone: "America/Los_Angeles", at: "2026-03-08T10:00:00Z", seconds: -7 * 3600),
        Offset(zone: "America/Los_Angeles", at: "2026-03-08T09:59:59Z", seconds: -8 * 3600),
        Offset(zone: "Europe/London", at: "2026-01-15T12:00:00Z", seconds: 0),
        Offset(zone: "Europe/London", at: "2026-07-15T12:00:00Z", seconds: 3600),
        Offset(zone: "Asia/Kolkata", at: "2026-07-15T12:00:00Z", seconds: 19_800),
        Offset(zone: "Australia/Lord_Howe", at: "2026-07-15T12:00:00Z", seconds: 37_800),
        Offset(zone: "Australia/Lord_Howe", at: "2026-01-15T12:00:00Z", seconds: 39_600),
        // History: British Standard Time (GMT+1 all year, 1968-1971), India's war time (+06:30, 1942-1945),
        // Samoa's jump across the date line at the end of 2011, Moscow's permanent +03 from October 2014.
        Offset(zone: "Europe/London", at: "1969-01-15T12:00:00Z", seconds: 3600),
        Offset(zone: "Asia/Kolkata", at: "1944-06-01T12:00:00Z", seconds: 23_400),
        Offset(zone: "Pacific/Apia", at: "2011-12-29T12:00:00Z", seconds: -10 * 3600),
        Offset(zone: "Pacific/Apia", at: "2011-12-31T12:00:00Z", seconds: 14 * 3600),
        Offset(zone: "Europe/Moscow", at: "2014-01-15T12:00:00Z", seconds: 4 * 3600),
        Offset(zone: "Europe/Moscow", at: "2014-12-15T12:00:00Z", seconds: 3 * 3600),
        // Local mean time before standard time (Los Angeles: -7:52:58 until 1883).
        Offset(zone: "America/Los_Angeles", at: "1850-01-01T12:00:00Z", seconds: -(7 * 3600 + 52 * 60 + 58)),
        // Beyond the table's years the rules go on.
        Offset(zone: "America/Los_Angeles", at: "2150-07-01T12:00:00Z", seconds: -7 * 3600),
        Offset(zone: "America/Los_Angeles", at: "2150-12-01T12:00:00Z", seconds: -8 * 3600),
    ])
    func offsets(_ case_: Offset) throws {
        #expect(try zone(case_.zone).offsetSeconds(at: Instant.ms(case_.at)) == case_.seconds)
    }

    @Test func zonesAndSchedulesWorkFromManyTasksAtOnce() async throws {
        let names = ["America/Los_Angeles", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Berlin"]
        let schedule = try cron("*/30 * * * *")
        let from = Instant.ms("2026-03-01T00:00:00Z"), to = Instant.ms("2026-04-15T00:00:00Z")
        let alone = try names.map { try schedule.ticks(after: from, through: to, in: zone($0), limit: 10_000) }
        let together = await withTaskGroup(of: (Int, [Int64]).self) { group in
            for round in 0..<40 {
                let index = round % names.count
                group.addTask {
                    guard let zone = ScheduleZone(identifier: names[index]) else { return (index, []) }
                    return (index, schedule.ticks(after: from, through: to, in: zone, limit: 10_000))
                }
            }
            var all: [(Int, [Int64])] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(together.count == 40)
        for (index, ticks) in together {
            #expect(ticks == alone[index], "\(names[index])")
        }
    }
}
