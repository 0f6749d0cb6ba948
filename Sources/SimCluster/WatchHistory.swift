public import Routing

/// One change to a SparkApplication, as a Kubernetes watch delivers it.
public struct WatchEvent: Sendable, Equatable {
    /// The watch event types the API server sends for object changes.
    public enum Kind: String, Sendable, Equatable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    /// What happened.
    public var kind: Kind
    /// The cluster revision the change was made at (the object's `metadata.resourceVersion`).
    public var resourceVersion: Int64
    /// The namespace of the object, for filtering without reading the object.
    public var namespace: String
    /// The whole object after the change (before it, for a deletion).
    public var object: JSONValue

    /// An event.
    public init(kind: Kind, resourceVersion: Int64, namespace: String, object: JSONValue) {
        self.kind = kind
        self.resourceVersion = resourceVersion
        self.namespace = namespace
        self.object = object
    }

    /// `{"type":"MODIFIED","object":{…}}`: one line of a watch stream (without its newline).
    public func jsonBytes() -> [UInt8] {
        JSONValue.object(["type": .string(kind.rawValue), "object": object]).jsonBytes()
    }
}

/// The latest events, kept so a watch can resume from a resourceVersion, as the API server's watch cache does.
/// Older ones are dropped; resuming from before them is `Expired` (410), and the client must list again.
public struct WatchHistory: Sendable {
    /// How many events are kept.
    public let capacity: Int
    private var events: [WatchEvent] = []
    private var start = 0
    /// The resourceVersion of the newest dropped event: resuming from below it would miss that event.
    public private(set) var droppedThrough: Int64 = 0

    /// An empty history keeping at most `capacity` events (at least 1).
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The number of events kept.
    public var count: Int { events.count - start }

    /// Keeps `event`, dropping the oldest beyond the capacity.
    public mutating func append(_ event: WatchEvent) {
        events.append(event)
        if count > capacity {
            droppedThrough = events[start].resourceVersion
            start += 1
        }
        // Compact now and then instead of removing from the front each time.
        if start > capacity {
            events.removeFirst(start)
            start = 0
        }
    }

    /// Every kept event after `resourceVersion`, oldest first; `Expired` when some were dropped already.
    public func events(after resourceVersion: Int64) throws(SimClusterError) -> ArraySlice<WatchEvent> {
        if resourceVersion < droppedThrough {
            throw SimClusterError(.expired, "too old resource version: \(resourceVersion) (\(droppedThrough))")
        }
        // Binary search: events are in resourceVersion order.
        var low = start, high = events.count
        while low < high {
            let middle = (low + high) / 2
            if events[middle].resourceVersion <= resourceVersion { low = middle + 1 } else { high = middle }
        }
        return events[low...]
    }
}
