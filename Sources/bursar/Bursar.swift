import ArgumentParser
import Foundation

/// The `bursar` command: argument parsing only; each subcommand lives in its own file and calls
/// into the library targets.
struct Bursar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bursar",
        abstract: "Sizes, routes and checks the YuniKorn queues of a Spark-on-Kubernetes platform.",
        subcommands: [Validate.self, DashboardsCommand.self, IngestCommand.self, AllocateCommand.self, NightlyCommand.self, SLOCommand.self, SynthCommand.self,
                      ServeCommand.self, SubmitCommand.self, DeployCommand.self, TokenCommand.self, PipelinesCommand.self, SchedulerCommand.self, WorkflowsCommand.self, RunsCommand.self,
                      TriggerCommand.self, BackfillCommand.self, SimClusterCommand.self, Bench.self]
    )
}

/// Runs the command with the documented exit codes: argument mistakes exit 1 (ArgumentParser's
/// own default would be 64), other failures keep their codes.
@main
enum Main {
    static func main() async {
        exitWithParentIfAsked()
        do {
            var command = try Bursar.parseAsRoot()
            if var service = command as? any AsyncParsableCommand {
                try await service.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Bursar.exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((Bursar.fullMessage(for: error) + "\n").utf8))
                Foundation.exit(1)
            }
            Bursar.exit(withError: error)
        }
    }
}

/// A built-in step started by the scheduler (`BURSAR_EXIT_WITH_PARENT`) ends when the scheduler does, so a
/// `kill -9` of the scheduler leaves no step running that a restart would run a second time alongside.
func exitWithParentIfAsked() {
    guard ProcessInfo.processInfo.environment["BURSAR_EXIT_WITH_PARENT"] == "1" else { return }
    let parent = getppid()
    let thread = Thread {
        while getppid() == parent { Thread.sleep(forTimeInterval: 0.5) }
        FileHandle.standardError.write(Data("bursar: the scheduler that started this step is gone; stopping\n".utf8))
        _exit(137)
    }
    thread.start()
}

/// Writes text to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}
