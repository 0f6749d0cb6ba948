import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// How many connections the router holds and how long it waits for each part of a request.
///
/// A connection is *waiting* from the moment it is accepted until a request's headers arrive, and again after
/// each response until the next request's headers arrive; it is *busy* from a request's headers to the end of
/// its response. Waiting connections cost a file descriptor and nothing else, so they are what a flood of idle
/// sockets is made of: when the cap is reached, a new connection takes the place of the connection that has been
/// waiting longest, and only when every connection is busy is a new one refused (503, then closed). A caller
/// that sends its request as soon as it connects therefore gets through an idle flood.
public struct ConnectionLimits: Sendable {
    /// Connections held open at once, waiting and busy together.
    public var maxConnections: Int
    /// Time from accepting a connection to the end of its first request's headers (408, then closed).
    public var headerTimeout: Duration
    /// Time from the end of a request's headers to the end of its body (408, then closed): a body trickled
    /// slower than this is cut, not accepted.
    public var bodyTimeout: Duration
    /// Time a kept-alive connection may wait for its next request's headers (closed without an answer).
    public var idleTimeout: Duration

    public init(maxConnections: Int = 4096, headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(10),
                idleTimeout: Duration = .seconds(60)) {
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
    }
}

/// Every open connection of the server, shared by all event loops: admits new ones under the cap, reclaiming the
/// longest-waiting connection when it is reached.
final class ConnectionLedger: Sendable {
    enum Admission {
        case admitted(UInt64)
        /// Admitted in the place of `victim`, which had waited longest for a request; the caller closes it.
        case reclaimed(UInt64, victim: any Channel)
        case refused
    }

    private struct Entry {
        let channel: any Channel
        var waiting: Bool
        /// Bumped on every state change, so stale entries of `queue` are recognised.
        var generation: UInt32
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        var waiting = 0
        /// Waiting connections, oldest first (entries whose generation moved on are skipped and dropped).
        var queue = CircularBuffer<(id: UInt64, generation: UInt32)>()

        mutating func add(_ channel: any Channel) -> UInt64 {
            nextID += 1
            entries[nextID] = Entry(channel: channel, waiting: true, generation: 0)
            queue.append((nextID, 0))
            waiting += 1
            return nextID
        }

        /// Removes the longest-waiting connection, if any.
        mutating func takeOldestWaiting() -> (any Channel)? {
            while let (id, generation) = queue.popFirst() {
                guard let entry = entries[id], entry.waiting, entry.generation == generation else { continue }
                entries[id] = nil
                waiting -= 1
                return entry.channel
            }
            return nil
        }
    }

    private let state = Mutex(State())
    private let limit: Int
    private let metrics: ArcherMetrics

    init(limit: Int, metrics: ArcherMetrics) {
        self.limit = max(1, limit)
        self.metrics = metrics
    }

    func admit(_ channel: any Channel) -> Admission {
        let (admission, open, waiting) = state.withLock { state -> (Admission, Int, Int) in
            if state.entries.count < limit {
                return (.admitted(state.add(channel)), state.entries.count, state.waiting)
            }
            guard let victim = state.takeOldestWaiting() else { return (.refused, state.entries.count, state.waiting) }
            return (.reclaimed(state.add(channel), victim: victim), state.entries.count, state.waiting)
        }
        metrics.connections(open: open, waiting: waiting)
        return admission
    }

    /// A request's headers arrived: the connection is busy and cannot be reclaimed. False if it already was.
    func busy(_ id: UInt64) -> Bool {
        let waiting = state.withLock { state -> Int? in
            guard var entry = state.entries[id] else { return nil }
            if entry.waiting {
                entry.waiting = false
                entry.generation &+= 1
                state.entries[id] = entry
                state.waiting -= 1
            }
            return state.waiting
        }
        guard let waiting else { return false }
        metrics.connections(waiting: waiting)
        return true
    }

    /// The last response ended: the connection waits for another request.
    func waiting(_ id: UInt64) {
        let waiting = state.withLock { state -> Int? in
            guard var entry = state.entries[id], !entry.waiting else { return nil }
            entry.waiting = true
            entry.generation &+= 1
            state.entries[id] = entry
            state.waiting += 1
            state.queue.append((id, entry.generation))
            // Stale queue entries are dropped as reclaiming meets them; without a flood nothing reclaims, so the
            // queue is compacted when it grows well past the connections it can name.
            if state.queue.count > 2 * state.entries.count + 64 {
                let entries = state.entries
                state.queue.removeAll(where: { entries[$0.id]?.generation != $0.generation || entries[$0.id]?.waiting != true })
            }
            return state.waiting
        }
        if let waiting { metrics.connections(waiting: waiting) }
    }

    func release(_ id: UInt64) {
        let counts = state.withLock { state -> (Int, Int)? in
            guard let entry = state.entries.removeValue(forKey: id) else { return nil }
            if entry.waiting { state.waiting -= 1 }
            return (state.entries.count, state.waiting)
        }
        if let (open, waiting) = counts { metrics.connections(open: open, waiting: waiting) }
    }
}

/// What the gate reports: metrics always, logs at most once per interval per kind (a flood gives a line every
/// few seconds with the count since the previous one, not a line per connection).
final class ConnectionEvents: Sendable {
    let metrics: ArcherMetrics
    let limits: ConnectionLimits
    private let refusedLog, reclaimedLog, timeoutLog, malformedLog: FloodLog

    init(metrics: ArcherMetrics, limits: ConnectionLimits, logger: Logger) {
        self.metrics = metrics
        self.limits = limits
        refusedLog = FloodLog(logger, .warning, "connection refused: every connection is busy with a request (raise --max-connections if this is real load)")
        reclaimedLog = FloodLog(logger, .warning, "connection limit reached: closing connections that sent no request to admit new ones (an idle flood, or raise --max-connections)")
        timeoutLog = FloodLog(logger, .notice, "request not received in time; connection closed")
        malformedLog = FloodLog(logger, .notice, "malformed HTTP request; answered and closed")
    }

    func refused() {
        metrics.connectionRefused()
        refusedLog.record(["max_connections": "\(limits.maxConnections)"])
    }

    func reclaimed() {
        metrics.connectionReclaimed()
        reclaimedLog.record(["max_connections": "\(limits.maxConnections)"])
    }

    func timedOut(_ phase: RequestPhase, remote: @autoclosure () -> String) {
        metrics.requestTimedOut(phase)
        timeoutLog.record(["phase": "\(phase.rawValue)", "remote": "\(remote())"])
    }

    func malformed(_ error: APIError, remote: @autoclosure () -> String) {
        metrics.badRequest(error.code)
        malformedLog.record(["code": "\(error.code)", "remote": "\(remote())"])
    }
}

/// The part of a request the router was waiting for when it gave up.
enum RequestPhase: String, Sendable {
    case header, body
}

/// Logs an event that can come in floods at most once per `interval`, with the number of events since the
/// previous line (`events`); the events in between are only counted.
final class FloodLog: Sendable {
    private let logger: Logger
    private let level: Logger.Level
    private let message: String
    private let interval: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, unlogged: Int)>((nil, 0))

    init(_ logger: Logger, _ level: Logger.Level, _ message: String, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.level = level
        self.message = message
        self.interval = interval
    }

    func record(_ metadata: @autoclosure () -> Logger.Metadata) {
        let now = ContinuousClock.now
        let events: Int? = state.withLock { state in
            if let last = state.last, now - last < interval {
                state.unlogged += 1
                return nil
            }
            defer { state = (now, 0) }
            return state.unlogged + 1
        }
        guard let events else { return }
        var fields = metadata()
        fields["events"] = "\(events)"
        logger.log(level: level, "\(message)", metadata: fields)
    }
}

/// Error delivered to a handler still reading a request's body when the connection is cut, so the body reads as
/// failed rather than as ended (Hummingbird takes the end of the stream for the end of the body).
struct RequestCut: Error, CustomStringConvertible {
    var reason: String
    var description: String { "request cut: \(reason)" }
}

/// One connection's gate, just after the HTTP decoder: admits it under the ledger's cap, closes it when its
/// request's headers or body do not arrive in time, and answers decoding errors in the API's JSON shape (Hummingbird
/// answers them with an empty 400). It only records instants and flags per request; its single timer is moved
/// lazily, so a request costs no timer work unless a deadline really passes.
final class ConnectionGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Deadline {
        case header, body, idle
    }

    private let ledger: ConnectionLedger
    private let events: ConnectionEvents
    private var id: UInt64?
    private var closing = false
    /// Requests whose headers were read and whose response has not ended.
    private var requestsOpen = 0
    /// A request's headers were read and its end was not.
    private var readingBody = false
    private var responseStarted = false
    private var closeAfterResponse = false
    private var deadline: (at: NIODeadline, kind: Deadline)?
    private var timer: (task: Scheduled<Void>, at: NIODeadline)?

    init(ledger: ConnectionLedger, events: ConnectionEvents) {
        self.ledger = ledger
        self.events = events
    }

    private var limits: ConnectionLimits { events.limits }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        if let id { ledger.release(id) }
        id = nil
        closing = true
        context.fireChannelInactive()
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard id == nil, !closing else { return }
        switch ledger.admit(context.channel) {
        case .admitted(let id):
            self.id = id
        case .reclaimed(let id, let victim):
            self.id = id
            events.reclaimed()
            victim.close(promise: nil)
        case .refused:
            events.refused()
            answerAndClose(context, APIError.tooManyConnections(limit: limits.maxConnections))
            return
        }
        setDeadline(context, .now() + TimeAmount(limits.headerTimeout), .header)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head:
            if requestsOpen == 0, let id, !ledger.busy(id) {
                // Reclaimed for a newcomer while these headers were on their way.
                close(context)
                return
            }
            requestsOpen += 1
            readingBody = true
            // The timer is moved, if at all, at the end of this read: most requests end in the same read.
            deadline = (.now() + TimeAmount(limits.bodyTimeout), .body)
        case .body:
            break
        case .end:
            readingBody = false
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !closing, let deadline, timer == nil || deadline.at < timer!.at { schedule(context, at: deadline.at) }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            responseStarted = true
            if readingBody {
                // Answered before its body was read (401, 413, …): the rest of the body is not worth reading.
                closeAfterResponse = true
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
        case .body:
            break
        case .end:
            responseStarted = false
            requestsOpen -= 1
            if closeAfterResponse {
                let written = context.eventLoop.makePromise(of: Void.self)
                if let promise { written.futureResult.cascade(to: promise) }
                context.writeAndFlush(data, promise: written)
                closing = true
                written.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { [self] _ in self.close(context, linger: true) }
                return
            }
            if requestsOpen == 0, !readingBody, let id {
                ledger.waiting(id)
                setDeadline(context, .now() + TimeAmount(limits.idleTimeout), .idle)
            }
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !closing else { return }
        let answer = APIError.malformed(error)
        events.malformed(answer, remote: Self.remote(context))
        // Not passed on as a parser error: Hummingbird would answer it again, with an empty 400.
        context.fireErrorCaught(RequestCut(reason: "\(error)"))
        if responseStarted { close(context, linger: true) } else { answerAndClose(context, answer, linger: true) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Deadlines

    private func setDeadline(_ context: ChannelHandlerContext, _ at: NIODeadline, _ kind: Deadline) {
        deadline = (at, kind)
        if timer == nil { schedule(context, at: at) }
    }

    private func schedule(_ context: ChannelHandlerContext, at: NIODeadline) {
        timer?.task.cancel()
        let task = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: at) { [self] in
            self.timer = nil
            self.deadlinePassed(context)
        }
        timer = (task, at)
    }

    private func deadlinePassed(_ context: ChannelHandlerContext) {
        guard !closing, let deadline else { return }
        guard deadline.at <= .now() else {
            schedule(context, at: deadline.at)
            return
        }
        self.deadline = nil
        switch deadline.kind {
        case .idle:
            close(context)
        case .header:
            events.timedOut(.header, remote: Self.remote(context))
            answerAndClose(context, APIError.requestTimeout(.header, after: limits.headerTimeout))
        case .body:
            events.timedOut(.body, remote: Self.remote(context))
            context.fireErrorCaught(RequestCut(reason: "body not received in \(limits.bodyTimeout)"))
            if responseStarted {
                close(context, linger: true)
            } else {
                answerAndClose(context, APIError.requestTimeout(.body, after: limits.bodyTimeout), linger: true)
            }
        }
    }

    // MARK: Closing

    /// Writes `error` as the connection's last response and closes it once written.
    private func answerAndClose(_ context: ChannelHandlerContext, _ error: APIError, linger: Bool = false) {
        let body = error.body
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = "\(body.count)"
        fields[.connection] = "close"
        for (name, value) in error.headers { fields[name] = value }
        closing = true
        context.write(wrapOutboundOut(.head(HTTPResponse(status: error.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { [self] _ in self.close(context, linger: linger) }
    }

    /// Closes the connection. With request bytes possibly still on their way (`linger`), the output is closed
    /// first and the input read (and dropped) for a moment: closing a socket with unread input resets it, and the
    /// reset can destroy the answer before the client reads it.
    private func close(_ context: ChannelHandlerContext, linger: Bool = false) {
        closing = true
        deadline = nil
        timer?.task.cancel()
        timer = nil
        guard linger, context.channel.isActive else {
            context.close(promise: nil)
            return
        }
        context.close(mode: .output, promise: nil)
        let linger = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .seconds(2)) {
            context.close(promise: nil)
        }
        timer = (linger, .now() + .seconds(2))
    }

    private static func remote(_ context: ChannelHandlerContext) -> String {
        context.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
    }
}
