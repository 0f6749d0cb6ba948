public import Hummingbird
import NIOCore

/// A small HTTP listener for a daemon that is not the router (the scheduler): `GET /metrics` (Prometheus text)
/// and `GET /healthz` (JSON), each answered by the closure given.
public enum MetricsEndpoint {
    /// Serves until the task is cancelled; `onListening` gets the port (useful with port 0). No signal handlers
    /// are installed: the daemon keeps its own.
    public static func serve(host: String, port: Int, metrics: @escaping @Sendable () -> [UInt8],
                             health: @escaping @Sendable () -> [UInt8],
                             onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        router.get("metrics") { _, _ in
            var fields = HTTPFields()
            fields[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: metrics())))
        }
        router.get("healthz") { _, _ in
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: health())))
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "bursar"),
                              onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) })
        try await app.run()
    }
}
