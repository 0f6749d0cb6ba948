import Foundation
internal import SourceDocuments
import Gzip

/// The Kubernetes ConfigMap that carries YuniKorn's queue configuration.
public enum ConfigMap {
    /// The ConfigMap users edit (`yunikorn-configs`); `yunikorn-defaults` is Helm's.
    public static let defaultName = "yunikorn-configs"
    /// The key YuniKorn reads for the default policy group.
    public static let queuesKey = "queues.yaml"

    /// What a file turned out to hold.
    public enum Content: Equatable, Sendable {
        /// A plain `queues.yaml`.
        case queuesYAML(String)
        /// A ConfigMap; `queuesYAML` is nil when it has no `queues.yaml` (YuniKorn then uses its
        /// built-in default), `key` says which key it came from.
        case configMap(name: String, key: String?, queuesYAML: String?)
    }

    /// A ConfigMap that cannot be read; the message says which key and why.
    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Recognises a ConfigMap (`kind: ConfigMap`) and extracts its queue configuration the way
    /// the shim does: `data["queues.yaml"]`, or `binaryData` key `queues.yaml.gz` gunzipped (a
    /// `.gz` key in any case wins, as `FlattenConfigMaps` applies binary data last).
    public static func classify(_ text: String) throws -> Content {
        // Cheap test first: most inputs are plain queue files and must not be parsed twice.
        guard hasTopLevelKindLine(text) else { return .queuesYAML(text) }
        // A text over the limits is read as a queue file, whose check then names the limit.
        guard let root = try? YAMLSource.parse(text, limits: .queueConfig),
              root.isObject, root["kind"]?.string == "ConfigMap" else {
            return .queuesYAML(text)
        }
        let name = root["metadata"]?["name"]?.string ?? "(unnamed)"
        var found: (key: String, text: String)?
        if let data = root["data"], data.isObject, let value = data[queuesKey] {
            guard let string = value.string else {
                throw ReadError(description: "ConfigMap \(name): data.\(queuesKey) is not a string; write it as a block (queues.yaml: |)")
            }
            found = (queuesKey, string)
        }
        if let binary = root["binaryData"]?.members {
            for (key, value) in binary {
                guard key.lowercased() == queuesKey + ".gz" else { continue }
                guard let encoded = value.string,
                      let bytes = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                    throw ReadError(description: "ConfigMap \(name): binaryData.\(key) is not valid base64")
                }
                do {
                    // Unzipped past the document limit, the text would be refused anyway: stop there.
                    let limit = DocumentLimits.queueConfig.maxBytes
                    let plain = try Gzip.decompress(Array(bytes), maxOutputSize: limit)
                    guard let string = String(validating: plain, as: UTF8.self) else {
                        throw ReadError(description: "ConfigMap \(name): binaryData.\(key) does not hold UTF-8 text")
                    }
                    found = ("binaryData.\(key)", string)
                } catch let error as ReadError {
                    throw error
                } catch let error as GzipError where error.isOutputTooLarge {
                    throw ReadError(description: "ConfigMap \(name): binaryData.\(key) unzips to more than \(DocumentLimits.queueConfig.maxBytes) bytes, over the document-size limit for a queue configuration; send a smaller one")
                } catch {
                    throw ReadError(description: "ConfigMap \(name): binaryData.\(key) is not valid gzip (\(error))")
                }
            }
        }
        return .configMap(name: name, key: found?.key, queuesYAML: found?.text)
    }

    /// Whether some line starts with `kind:` (a Kubernetes object), scanning bytes only.
    static func hasTopLevelKindLine(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            func isKind(at i: Int) -> Bool {
                i + 5 <= bytes.count && bytes[i] == 107 && bytes[i + 1] == 105 && bytes[i + 2] == 110
                    && bytes[i + 3] == 100 && bytes[i + 4] == 58  // "kind:"
            }
            if isKind(at: 0) { return true }
            for index in 0..<bytes.count where bytes[index] == 10 && isKind(at: index + 1) { return true }
            return false
        }
    }

    /// Kubernetes refuses a ConfigMap over 1 MiB in all; past this size the configuration is stored
    /// gzipped under `binaryData` (`queues.yaml.gz`), which the YuniKorn shim unpacks.
    public static let compressAbove = 512 * 1024

    /// The ConfigMap wrapping `queuesYAML`, ready for `kubectl apply`. Large configurations go
    /// into `binaryData` gzipped, the way the YuniKorn shim reads them.
    public static func yaml(queuesYAML: String, name: String = defaultName, namespace: String = "yunikorn",
                            labels: [(String, String)] = [("app.kubernetes.io/managed-by", "bursar")]) throws -> String {
        var out = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        out += "  name: \(YAMLWriter.scalar(name))\n  namespace: \(YAMLWriter.scalar(namespace))\n"
        if !labels.isEmpty {
            out += "  labels:\n"
            for (key, value) in labels { out += "    \(YAMLWriter.scalar(key)): \(YAMLWriter.scalar(value))\n" }
        }
        if queuesYAML.utf8.count > compressAbove {
            let packed = try Gzip.compress(Array(queuesYAML.utf8))
            out += "binaryData:\n  \(queuesKey).gz: \(Data(packed).base64EncodedString())\n"
            return out
        }
        out += "data:\n  \(queuesKey): |\n"
        for line in queuesYAML.split(separator: "\n", omittingEmptySubsequences: false).dropLast(queuesYAML.hasSuffix("\n") ? 1 : 0) {
            out += line.isEmpty ? "\n" : "    \(line)\n"
        }
        return out
    }
}

private extension GzipError {
    var isOutputTooLarge: Bool {
        if case .outputTooLarge = self { return true }
        return false
    }
}
