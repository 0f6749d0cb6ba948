import ArgumentParser
import Foundation
import InsightStore

/// `--store sqlite:PATH | postgres://…` (or `BURSAR_STORE`), shared by every command that reads or
/// writes the insight tables.
struct StoreOption: ParsableArguments {
    @Option(name: .customLong("store"),
            help: "Where the insight tables live: sqlite:PATH (default sqlite:.bursar/bursar.sqlite) or postgres://user@host:port/db. Also BURSAR_STORE.")
    var store: String?

    /// The location named by the flag, else the environment, else the embedded default.
    func location() throws -> StoreLocation {
        guard let text = store ?? ProcessInfo.processInfo.environment["BURSAR_STORE"], !text.isEmpty else {
            return .defaultLocation
        }
        do {
            return try StoreLocation.parse(text)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Opens and migrates the store; a store that cannot be opened exits 2 with the reason.
    func open() throws -> InsightStore {
        let location = try location()
        do {
            return try InsightStore(location)
        } catch {
            printError("bursar: cannot open the store \(location): \(error)")
            throw ExitCode(2)
        }
    }
}

/// Renders a JSON document with sorted keys (stable output for scripts and golden tests).
func jsonText(_ object: Any) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
}
