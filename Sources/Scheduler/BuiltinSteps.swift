import Foundation
public import Scheduling
public import Workflows

/// Runs Bursar's built-in steps (`ingest`, `allocate`, `nightly`, `deploy`, `slo-report`) as child processes of
/// the scheduler's own executable, with fixed argument lists per step (never a shell, never a command from a
/// definition), so a workflow such as `Pipelines/bursar-nightly.yaml` is the nightly allocation itself.
///
/// Each attempt is an "application" on the pseudo-cluster `bursar` with the app id
/// `step-<run-id>-<job>-<attempt>`; its end comes back as an `AppReport` through the same path as a Spark job's,
/// so retries, timeouts (the process is terminated) and deadlines work alike. Output goes to
/// `<logs>/<app id>.log`. A child is started with `BURSAR_EXIT_WITH_PARENT`, so it ends when the scheduler dies;
/// after a restart, an attempt the scheduler no longer runs is reported failed and retried (every step is safe
/// to run again: ingest skips what it read, the allocation of a night is the same plan, deploy writes only a
/// change).
public final class BuiltinSteps: Sendable {
    /// The pseudo-cluster built-in steps run on.
    public static let cluster = "bursar"

    /// The executable (the running `bursar`).
    public let executable: String
    /// The arguments of each step (the store option is appended by the caller when one was given).
    public let arguments: [BuiltinStep: [String]]
    /// Where each attempt's output goes.
    public let logs: String
    private let running: RunningSteps
    private let deliver: @Sendable ([AppReport]) -> Void
    private let now: @Sendable () -> Int64

    /// `deliver` receives each attempt's end (the scheduler's watch inbox).
    public init(executable: String, arguments: [BuiltinStep: [String]], logs: String,
                now: @escaping @Sendable () -> Int64, deliver: @escaping @Sendable ([AppReport]) -> Void) {
        self.executable = executable
        self.arguments = arguments
        self.logs = logs
        self.now = now
        self.deliver = deliver
        running = RunningSteps()
    }

    /// The app id of an attempt of a built-in step.
    public static func appID(_ attempt: DispatchAttempt) -> String {
        "step-" + attempt.idempotencyKey.replacingOccurrences(of: "/", with: "-")
    }

    /// Starts the attempt's process; the receipt names it. An attempt already running (a repeated dispatch)
    /// is not started twice.
    public func start(_ step: BuiltinStep, attempt: DispatchAttempt) throws -> DispatchReceipt {
        let appID = Self.appID(attempt)
        let receipt = DispatchReceipt(appID: appID, cluster: Self.cluster)
        guard let stepArguments = arguments[step] else {
            throw DispatchRefusal(description: "no arguments are configured for the built-in step \(step.rawValue)", retryable: false)
        }
        if running.withLock({ $0[appID] != nil }) { return receipt }
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let logPath = (logs as NSString).appendingPathComponent(appID + ".log")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let output = FileHandle(forWritingAtPath: logPath) else {
            throw DispatchRefusal(description: "cannot write \(logPath)", retryable: true)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = stepArguments
        var environment = ProcessInfo.processInfo.environment
        environment["BURSAR_EXIT_WITH_PARENT"] = "1"
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [weak self] ended in
            try? output.close()
            self?.finished(appID, process: ended)
        }
        running.withLock { $0[appID] = process }
        do { try process.run() } catch {
            running.withLock { _ = $0.removeValue(forKey: appID) }
            throw DispatchRefusal(description: "cannot start \(executable): \(error)", retryable: true)
        }
        deliver([AppReport(appID: appID, phase: .running, at: now())])
        return receipt
    }

    private func finished(_ appID: String, process: Process) {
        guard running.withLock({ $0.removeValue(forKey: appID) }) != nil else { return }
        let succeeded = process.terminationReason == .exit && process.terminationStatus == 0
        let reason = process.terminationReason == .uncaughtSignal
            ? "terminated by signal \(process.terminationStatus)" : "exit status \(process.terminationStatus)"
        deliver([AppReport(appID: appID, phase: succeeded ? .succeeded : .failed, at: now(),
                           reason: succeeded ? nil : "\(reason); output in \(logs)/\(appID).log")])
    }

    /// Terminates an attempt's process (its timeout passed); its end is then reported as a failure.
    public func cancel(appID: String) {
        guard let process = running.withLock({ $0[appID] }) else { return }
        process.terminate()
    }

    /// Reports every attempt in `appIDs` (in flight in the store) that this scheduler does not run as failed: it
    /// was running when the scheduler stopped.
    public func adopt(inFlight appIDs: [String]) {
        let orphans = running.withLock { running in appIDs.filter { running[$0] == nil } }
        guard !orphans.isEmpty else { return }
        deliver(orphans.map { AppReport(appID: $0, phase: .failed, at: now(), reason: "the scheduler stopped while it ran") })
    }

    /// Attempts running now.
    public var inFlight: Int { running.withLock { $0.count } }
}

/// Sends Spark jobs through the router and runs built-in steps itself.
public struct SchedulerDispatcher: JobDispatcher {
    public let router: any JobDispatcher
    public let steps: BuiltinSteps?

    public init(router: any JobDispatcher, steps: BuiltinSteps?) {
        self.router = router
        self.steps = steps
    }

    public func dispatch(_ attempt: DispatchAttempt) throws -> DispatchReceipt {
        guard case .bursar(let step) = attempt.action else { return try router.dispatch(attempt) }
        guard let steps else {
            throw DispatchRefusal(description: "built-in steps are not enabled on this scheduler", retryable: false)
        }
        return try steps.start(step, attempt: attempt)
    }
}

/// Stops timed-out attempts: built-in steps here, Spark applications on their clusters.
public struct SchedulerCanceller: AppCanceller {
    public let clusters: any AppCanceller
    public let steps: BuiltinSteps?

    public init(clusters: any AppCanceller, steps: BuiltinSteps?) {
        self.clusters = clusters
        self.steps = steps
    }

    public func cancel(cluster: String, namespace: String?, appID: String) throws {
        if cluster == BuiltinSteps.cluster {
            steps?.cancel(appID: appID)
        } else {
            try clusters.cancel(cluster: cluster, namespace: namespace, appID: appID)
        }
    }
}

/// The step processes running now, by app id.
private final class RunningSteps: @unchecked Sendable {
    // @unchecked: `processes` is only touched under `lock`.
    private let lock = NSLock()
    private var processes: [String: Process] = [:]

    func withLock<T>(_ body: (inout [String: Process]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&processes)
    }
}
