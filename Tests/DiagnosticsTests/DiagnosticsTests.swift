import Testing
import Diagnostics

@Suite("Problems and traces said one way")
struct DiagnosticsTests {
    @Test func aProblemNamesThePlaceAsFarAsItIsKnown() {
        #expect(SourceProblem(file: "a.yaml", line: 3, column: 7, field: "x.y", message: "bad").description == "a.yaml:3:7: x.y: bad")
        #expect(SourceProblem(file: "a.yaml", line: 3, message: "bad").description == "a.yaml:3: bad")
        #expect(SourceProblem(file: "a.yaml", line: nil, message: "bad").description == "a.yaml: bad")
    }

    @Test(arguments: [(Duration.milliseconds(0), "0.000"), (.milliseconds(42), "0.042"), (.seconds(3) + .milliseconds(5), "3.005"),
                      (.milliseconds(-1500), "-1.500")])
    func durationsAreSecondsWithThreeDecimals(duration: Duration, text: String) {
        #expect(Trace.seconds(duration) == text)
    }

    @Test func lapsAreSaidOnlyWhenTracingIsOn() {
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let on = Lines(), off = Lines()
        var traced = Trace.Laps(environment: ["BURSAR_TRACE": "1"], sink: { on.all.append($0) })
        traced.lap("read")
        traced.lap("write")
        var quiet = Trace.Laps(environment: [:], sink: { off.all.append($0) })
        quiet.lap("read")
        #expect(on.all.count == 2)
        #expect(on.all.first?.hasPrefix("trace: read: ") == true)
        #expect(on.all.last?.hasSuffix(" s") == true)
        #expect(off.all.isEmpty)
        #expect(Trace.isOn(["BURSAR_TRACE": ""]))
        #expect(!Trace.isOn([:]))
    }
}
