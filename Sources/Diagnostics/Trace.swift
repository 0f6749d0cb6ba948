#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a run's time goes, for a person finding out: with `BURSAR_TRACE` set in the environment, lines
/// `trace: <what>` on standard error (or to a given sink); without it, nothing is formatted at all.
public enum Trace {
    /// Whether tracing is on in `environment` (the process's own when not given).
    public static func isOn(_ environment: [String: String]? = nil) -> Bool {
        if let environment { return environment["BURSAR_TRACE"] != nil }
        return getenv("BURSAR_TRACE") != nil
    }

    /// Writes `trace: message` to standard error when tracing is on.
    public static func say(_ message: @autoclosure () -> String, environment: [String: String]? = nil) {
        guard isOn(environment) else { return }
        standardError("trace: " + message())
    }

    /// Wall-clock laps of a run's phases, each said as `trace: <phase>: 1.234 s` to `sink` when tracing is on.
    public struct Laps {
        private let sink: ((String) -> Void)?
        private let enabled: Bool
        private var last = ContinuousClock.now

        /// Laps said through `sink` (standard error when not given).
        public init(environment: [String: String]? = nil, sink: ((String) -> Void)? = nil) {
            self.sink = sink
            self.enabled = Trace.isOn(environment)
        }

        /// Says how long since the last lap (or the start) went to `phase`.
        public mutating func lap(_ phase: String) {
            guard enabled else { return }
            let now = ContinuousClock.now
            let line = "trace: \(phase): \(Trace.seconds(now - last)) s"
            if let sink { sink(line) } else { Trace.standardError(line) }
            last = now
        }
    }

    /// One line to standard error, written whole with write(2).
    static func standardError(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(2, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// A duration as seconds with three decimals, e.g. `0.042`.
    public static func seconds(_ duration: Duration) -> String {
        let (whole, attoseconds) = duration.components
        let milliseconds = whole * 1000 + attoseconds / 1_000_000_000_000_000
        let sign = milliseconds < 0 ? "-" : ""
        let magnitude = abs(milliseconds)
        let fraction = String(magnitude % 1000)
        return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
