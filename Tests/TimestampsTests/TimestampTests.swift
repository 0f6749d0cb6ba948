import Foundation
import Testing
import Timestamps

/// The one ISO 8601 reader (ingest, the router's scheduled-at, mapping files) and the civil-date arithmetic.
@Suite("Timestamps")
struct TimestampTests {
    static let midnight: Int64 = 1_779_235_200_000  // 2026-05-20T00:00:00Z

    @Test(arguments: [
        ("2026-05-20T00:00:00Z", midnight),
        ("2026-05-20t00:00:00z", midnight),
        ("2026-05-20 02:00:00+02:00", midnight),
        ("2026-05-20T02:00:00+0200", midnight),
        ("2026-05-20T02:00:00+02", midnight),
        ("2026-05-19T22:30:00-01:30", midnight),
        ("20260520T000000Z", midnight),
        ("20260520T023000+0230", midnight),
        ("2026-05-20T00:00:00.250Z", midnight + 250),
        ("2026-05-20T00:00:00,5Z", midnight + 500),
        ("2026-05-20T00:00:00.123456Z", midnight + 123),
        ("2026-05-20", midnight),
        ("2024-02-29T12:00:00Z", 1_709_208_000_000),
        ("1969-12-31T23:59:59Z", -1000),
    ])
    func reads(_ text: String, _ millis: Int64) {
        #expect(Timestamp.parse(text) == millis, "\(text)")
    }

    @Test(arguments: [
        "2026-05-20T00:00:00",        // no zone
        "2026-02-30T00:00:00Z",       // no such day
        "2025-02-29",                 // not a leap year
        "2026-13-01T00:00:00Z", "2026-05-20T24:00:00Z", "2026-05-20T00:60:00Z",
        "2026-05-20T00:00:00.Z",      // an empty fraction
        "2026-05-20T00:00:00+1",      // a one-digit offset
        "2026-05-20T00:00:00Z ",      // trailing text
        "20260520",                   // a basic-form date alone
        "2026-0520T000000Z",          // forms mixed
        "", "yesterday",
    ])
    func refuses(_ text: String) {
        #expect(Timestamp.parse(text) == nil, "\(text)")
    }

    @Test func bareDatesCanBeRefused() {
        #expect(Timestamp.parse("2026-05-20", allowingDate: false) == nil)
        #expect(Timestamp.parse("2026-05-20T00:00:00Z", allowingDate: false) == Self.midnight)
    }

    @Test func formatsRoundTripOverFourCenturies() {
        var day: Int64 = -146_097
        while day < 2 * 146_097 {
            let millis = day * 86_400_000 + 3_723_004
            #expect(Timestamp.parse(Timestamp.format(millis)) == millis)
            let (year, month, date) = Timestamp.civilFromDays(day)
            #expect(Int64(Timestamp.daysFromCivil(year, month, date)) == day)
            day += 97
        }
        #expect(Timestamp.formatDate(Self.midnight - 1) == "2026-05-19")
    }

    @Test func datesAreWrittenWithFourDigitYearsAndPaddedMonthsAndDays() {
        // Years 0 to 9999 take the fast path; later ones are written as before, with all their digits.
        var day = Int64(Timestamp.daysFromCivil(0, 1, 1))
        let last = Int64(Timestamp.daysFromCivil(10_001, 1, 3))
        while day <= last {
            let (year, month, date) = Timestamp.civilFromDays(day)
            let expected = String(format: "%04d-%02d-%02d", year, month, date)
            #expect(Timestamp.formatDate(day * 86_400_000 + 43_200_000) == expected)
            // Every day of the first years (0000-01-01 is day -719,468) and of the last (9909 on), every 53rd between.
            day += day < 1_000 - 719_468 || day > 2_900_000 ? 1 : 53
        }
        #expect(Timestamp.formatDate(0) == "1970-01-01")
        #expect(Timestamp.formatDate(Int64(Timestamp.daysFromCivil(9999, 12, 31)) * 86_400_000) == "9999-12-31")
    }
}
