import Timestamps
import JSONText
import Foundation
import Gzip
import QueueConfig

/// The `yunikorn-configs` ConfigMap as a JSON object: reading its `queues.yaml` and writing a new one into it.
///
/// Pure (bytes in, bytes out), shared by the Kubernetes and dry-run targets so both store the configuration
/// the same way the YuniKorn shim reads it: `data["queues.yaml"]`, or gzipped under `binaryData` when large.
enum QueueConfigMap {
    /// The ConfigMap's name.
    static let name = ConfigMap.defaultName
    /// The `binaryData` key a large configuration goes under.
    static let gzipKey = ConfigMap.queuesKey + ".gz"

    /// Why an object could not be read.
    struct Malformed: Error {
        var reason: String
    }

    /// Reads a ConfigMap object's `queues.yaml` and resourceVersion.
    static func read(_ object: [UInt8]) throws(Malformed) -> LiveQueueConfig {
        let root = try JSONObject.parse(object)
        guard root["kind"] as? String == "ConfigMap" else { throw Malformed(reason: "the object is not a ConfigMap") }
        guard let version = (root["metadata"] as? [String: Any])?["resourceVersion"] as? String, !version.isEmpty
        else { throw Malformed(reason: "the ConfigMap has no metadata.resourceVersion") }
        var text = (root["data"] as? [String: Any])?[ConfigMap.queuesKey] as? String
        // The shim applies binaryData after data, so a gzipped copy wins.
        for (key, value) in root["binaryData"] as? [String: Any] ?? [:] where key.lowercased() == gzipKey {
            guard let encoded = value as? String, let packed = Data(base64Encoded: encoded) else {
                throw Malformed(reason: "binaryData.\(key) is not base64")
            }
            guard let plain = try? Gzip.decompress(Array(packed)), let decoded = String(validating: plain, as: UTF8.self)
            else { throw Malformed(reason: "binaryData.\(key) is not gzipped UTF-8 text") }
            text = decoded
        }
        return LiveQueueConfig(queuesYAML: text, resourceVersion: version, object: object)
    }

    /// A new ConfigMap holding `queuesYAML`, for a POST.
    static func new(queuesYAML: String, namespace: String) throws(Malformed) -> [UInt8] {
        var root: [String: Any] = [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": name, "namespace": namespace, "labels": ["app.kubernetes.io/managed-by": "bursar"]],
        ]
        try store(queuesYAML, in: &root)
        return try JSONObject.serialize(root)
    }

    /// `live`'s object with its queue configuration replaced and everything else (other keys, labels,
    /// annotations, the resourceVersion that makes the PUT conditional) kept, for a PUT.
    static func replacing(_ live: LiveQueueConfig, with queuesYAML: String) throws(Malformed) -> [UInt8] {
        var root = try JSONObject.parse(live.object)
        var metadata = root["metadata"] as? [String: Any] ?? [:]
        metadata["resourceVersion"] = live.resourceVersion
        root["metadata"] = metadata
        try store(queuesYAML, in: &root)
        return try JSONObject.serialize(root)
    }

    /// Puts the text under `data`, or gzipped under `binaryData` past `ConfigMap.compressAbove`, and removes the
    /// other place so the shim cannot read a stale copy.
    private static func store(_ queuesYAML: String, in root: inout [String: Any]) throws(Malformed) {
        var data = root["data"] as? [String: Any] ?? [:]
        var binary = root["binaryData"] as? [String: Any] ?? [:]
        for key in binary.keys where key.lowercased() == gzipKey { binary[key] = nil }
        if queuesYAML.utf8.count > ConfigMap.compressAbove {
            guard let packed = try? Gzip.compress(Array(queuesYAML.utf8)) else {
                throw Malformed(reason: "the configuration could not be gzipped")
            }
            binary[gzipKey] = Data(packed).base64EncodedString()
            data[ConfigMap.queuesKey] = nil
        } else {
            data[ConfigMap.queuesKey] = queuesYAML
        }
        root["data"] = data
        root["binaryData"] = binary.isEmpty ? nil : binary
    }
}

/// JSON objects through Foundation, with errors that say what was wrong.
enum JSONObject {
    /// Parses bytes that must hold a JSON object.
    static func parse(_ bytes: [UInt8]) throws(QueueConfigMap.Malformed) -> [String: Any] {
        guard let value = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
            throw QueueConfigMap.Malformed(reason: "the body is not JSON")
        }
        guard let object = value as? [String: Any] else {
            throw QueueConfigMap.Malformed(reason: "the body is JSON but not an object")
        }
        return object
    }

    /// Serialises with sorted keys, so equal objects give equal bytes (the dry-run journal is diffable).
    static func serialize(_ object: Any) throws(QueueConfigMap.Malformed) -> [UInt8] {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { throw QueueConfigMap.Malformed(reason: "the object cannot be written as JSON") }
        return Array(data)
    }

    /// A JSON string literal (quotes, backslashes and control characters escaped).
    static func quoted(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        JSON.quote(text, into: &out)
        return out
    }
}

