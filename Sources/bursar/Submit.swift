import ArgumentParser
import Foundation
import HTTPFetch

/// `bursar submit FILE`: the router's command-line client.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a SparkApplication (YAML or JSON) or a compact job spec through a running router.",
        discussion: """
        The manifest's metadata.labels identify the work: bursar.dev/project and bursar.dev/tier (1-3), and \
        for SLO tracking bursar.dev/workflow, bursar.dev/job, bursar.dev/run-id and bursar.dev/scheduled-at. \
        Prints the decision (cluster, queue, the rule that matched) and the app id; --format json prints the \
        router's whole answer, including the mutated manifest.

        Exit codes: 0 submitted (or, with --explain, decided), 1 usage, 2 unreadable file or router unreachable, \
        3 refused by the router (4xx: the message says why), 4 the router or the cluster failed (5xx).
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "The manifest file, or - for standard input.")
    var file: String

    @Option(help: "The router's base URL. Also BURSAR_SERVER; default http://127.0.0.1:8080.")
    var server: String?

    @Option(help: "The bearer token. Also BURSAR_TOKEN (preferred: a flag is visible to other local users).")
    var token: String?

    @Flag(help: "Only ask which cluster and queue the job would get; nothing is recorded or sent.")
    var explain = false

    @Option(help: "Output format.")
    var format: Format = .text

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let base = (server ?? environment["BURSAR_SERVER"] ?? "http://127.0.0.1:8080").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let token = token ?? environment["BURSAR_TOKEN"], !token.isEmpty else {
            throw ValidationError("no token: set BURSAR_TOKEN or pass --token (ask an admin: bursar token new)")
        }
        let body: [UInt8]
        do {
            body = file == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile())
                : Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            printError("bursar submit: cannot read \(file): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        let isJSON = body.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{")
        let request = FetchRequest(method: .post, url: base + (explain ? "/v1/decisions" : "/v1/submissions"),
                                  headers: ["Content-Type: " + (isJSON ? "application/json" : "application/yaml")],
                                  body: body, bearerToken: token)
        let response: FetchResponse
        do {
            response = try HTTPFetcher(timeout: .seconds(60), maxBodyBytes: 16 << 20).perform(request)
        } catch {
            printError("bursar submit: cannot reach the router at \(base): \(error)")
            throw ExitCode(2)
        }
        let answer = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        if format == .json {
            print(String(decoding: response.body, as: UTF8.self), terminator: "")
        }
        guard (200..<300).contains(response.status) else {
            let error = answer?["error"] as? [String: Any]
            let message = error?["message"] as? String ?? String(decoding: response.body.prefix(500), as: UTF8.self)
            let field = (error?["field"] as? String).map { " (\($0))" } ?? ""
            if format == .text || answer?["app_id"] == nil {
                printError("bursar submit: \(response.status): \(message)\(field)")
            }
            throw ExitCode(response.status < 500 ? 3 : 4)
        }
        if format == .text, let answer, let decision = answer["decision"] as? [String: Any] {
            let rule = (decision["rule_id"] as? String).map { " (rule \($0))" } ?? ""
            print("""
                \(answer["state"] as? String ?? "?"): \(answer["app_id"] as? String ?? "?")
                cluster \(decision["cluster"] as? String ?? "?"), queue \(decision["queue"] as? String ?? "?"), namespace \(decision["namespace"] as? String ?? "?")
                via \(decision["source"] as? String ?? "?")\(rule): \(decision["reason"] as? String ?? "")
                """)
        }
    }
}
