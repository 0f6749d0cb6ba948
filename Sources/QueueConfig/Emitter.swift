/// Writes a configuration as canonical YAML: fixed key order, two-space indentation, values
/// quoted only where YAML would misread them, children in model order. Reading the output
/// back gives the same model: `StrictDecoder.decode(Emitter.yaml(x)).config == x`.
public enum Emitter {
    /// A string as a YAML scalar, plain when that reads back as the same string, else quoted: how every YAML
    /// file Bursar writes (queue configurations, token files) spells its strings. `inFlow` for an item of a
    /// `[a, b]` list, where commas and brackets need quoting too.
    public static func scalar(_ value: String, inFlow: Bool = false) -> String {
        YAMLWriter.scalar(value, inFlow: inFlow)
    }

    /// The canonical text of `config`. With `withChecksum`, a `checksum:` line carrying YuniKorn's
    /// checksum of the text is appended (YuniKorn strips that line before hashing, so it matches).
    public static func yaml(_ config: SchedulerConfig, withChecksum: Bool = false) -> String {
        var out = YAMLWriter()
        if config.partitions.isEmpty {
            out.line(0, "partitions: []")
        } else {
            out.line(0, "partitions:")
            for partition in config.partitions { out.partition(partition) }
        }
        if withChecksum {
            let body = out.text + "\n"
            return out.text + "checksum: " + Checksum.yunikorn(of: body) + "\n"
        }
        if let checksum = config.checksum { out.line(0, "checksum: " + YAMLWriter.scalar(checksum)) }
        return out.text
    }
}

struct YAMLWriter {
    var text = ""

    init() { text.reserveCapacity(1 << 16) }

    mutating func line(_ indent: Int, _ content: String) {
        text.append(String(repeating: " ", count: indent))
        text.append(content)
        text.append("\n")
    }

    /// Starts a sequence item: the first key goes on the dash line.
    mutating func item(_ indent: Int, _ key: String, _ value: String) {
        line(indent, "- \(key): \(value)")
    }

    mutating func partition(_ partition: PartitionConfig) {
        item(2, "name", Self.scalar(partition.name))
        let indent = 4
        if !partition.placementRules.isEmpty {
            line(indent, "placementrules:")
            for rule in partition.placementRules { placementRule(rule, indent: indent + 2, first: "- ") }
        }
        limits(partition.limits, indent: indent)
        if partition.preemption != PartitionPreemption() {
            line(indent, "preemption:")
            if let enabled = partition.preemption.enabled { line(indent + 2, "enabled: \(enabled)") }
            if let quota = partition.preemption.quotaPreemptionEnabled { line(indent + 2, "quotapreemptionenabled: \(quota)") }
        }
        if partition.nodeSortPolicy != NodeSortPolicy() {
            line(indent, "nodesortpolicy:")
            line(indent + 2, "type: " + Self.scalar(partition.nodeSortPolicy.type))
            if !partition.nodeSortPolicy.resourceWeights.isEmpty {
                line(indent + 2, "resourceweights:")
                for (name, weight) in partition.nodeSortPolicy.resourceWeights {
                    line(indent + 4, Self.scalar(name) + ": " + Self.number(weight))
                }
            }
        }
        if !partition.userGroupResolver.type.isEmpty {
            line(indent, "usergroupresolver:")
            line(indent + 2, "type: " + Self.scalar(partition.userGroupResolver.type))
        }
        if let queues = partition.queues {
            if queues.isEmpty {
                line(indent, "queues: []")
            } else {
                line(indent, "queues:")
                for queue in queues { self.queue(queue, indent: indent + 2) }
            }
        }
    }

    mutating func queue(_ queue: QueueConfig, indent: Int) {
        item(indent, "name", Self.scalar(queue.name))
        let inner = indent + 2
        if queue.parent { line(inner, "parent: true") }
        if queue.maxApplications != 0 { line(inner, "maxapplications: \(queue.maxApplications)") }
        if !queue.adminACL.isEmpty { line(inner, "adminacl: " + Self.scalar(queue.adminACL)) }
        if !queue.submitACL.isEmpty { line(inner, "submitacl: " + Self.scalar(queue.submitACL)) }
        resources(queue.resources, indent: inner)
        stringMap("properties", queue.properties.map { ($0.key, $0.value) }, indent: inner)
        if !queue.childTemplate.isEmpty {
            line(inner, "childtemplate:")
            let template = queue.childTemplate
            if template.maxApplications != 0 { line(inner + 2, "maxapplications: \(template.maxApplications)") }
            resources(template.resources, indent: inner + 2)
            stringMap("properties", template.properties.map { ($0.key, $0.value) }, indent: inner + 2)
        }
        limits(queue.limits, indent: inner)
        if !queue.queues.isEmpty {
            line(inner, "queues:")
            for child in queue.queues { self.queue(child, indent: inner + 2) }
        }
    }

    mutating func resources(_ resources: QueueResources, indent: Int) {
        guard !resources.isEmpty else { return }
        line(indent, "resources:")
        if let guaranteed = resources.guaranteed { stringMap("guaranteed", guaranteed.map { ($0.name, $0.quantity) }, indent: indent + 2, keepEmpty: true) }
        if let max = resources.max { stringMap("max", max.map { ($0.name, $0.quantity) }, indent: indent + 2, keepEmpty: true) }
    }

    mutating func stringMap(_ key: String, _ entries: [(String, String)], indent: Int, keepEmpty: Bool = false) {
        if entries.isEmpty {
            if keepEmpty { line(indent, "\(key): {}") }
            return
        }
        line(indent, "\(key):")
        for (name, value) in entries { line(indent + 2, Self.scalar(name) + ": " + Self.scalar(value)) }
    }

    mutating func stringList(_ key: String, _ values: [String], indent: Int) {
        guard !values.isEmpty else { return }
        line(indent, "\(key): [" + values.map { Self.scalar($0, inFlow: true) }.joined(separator: ", ") + "]")
    }

    mutating func limits(_ limits: [Limit], indent: Int) {
        guard !limits.isEmpty else { return }
        line(indent, "limits:")
        for limit in limits {
            item(indent + 2, "limit", Self.scalar(limit.limit))
            let inner = indent + 4
            stringList("users", limit.users, indent: inner)
            stringList("groups", limit.groups, indent: inner)
            stringMap("maxresources", limit.maxResources.map { ($0.name, $0.quantity) }, indent: inner)
            if limit.maxApplications != 0 { line(inner, "maxapplications: \(limit.maxApplications)") }
        }
    }

    mutating func placementRule(_ rule: PlacementRule, indent: Int, first: String) {
        // `first` is "- " for list items and "" for a nested parent mapping.
        let inner = first.isEmpty ? indent : indent + 2
        line(indent, first + "name: " + Self.scalar(rule.name))
        if rule.create { line(inner, "create: true") }
        if !rule.value.isEmpty { line(inner, "value: " + Self.scalar(rule.value)) }
        if !rule.filter.isEmpty {
            line(inner, "filter:")
            line(inner + 2, "type: " + Self.scalar(rule.filter.type))
            stringList("users", rule.filter.users, indent: inner + 2)
            stringList("groups", rule.filter.groups, indent: inner + 2)
        }
        if let parent = rule.parent {
            line(inner, "parent:")
            placementRule(parent, indent: inner + 2, first: "")
        }
    }

    /// A float as Go's yaml would read it back exactly.
    static func number(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value > 0 ? ".inf" : "-.inf" }
        return "\(value)"
    }

    private static let plainWords: Set<String> = [
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
    ]

    /// A string as a YAML scalar: plain when that reads back as the same string, else quoted.
    static func scalar(_ value: String, inFlow: Bool = false) -> String {
        if isPlainSafe(value, inFlow: inFlow) { return value }
        if value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }) {
            return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
        }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case "\r": quoted += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    quoted += "\\x" + String(scalar.value, radix: 16).leftPadded(2)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }

    private static func isPlainSafe(_ value: String, inFlow: Bool) -> Bool {
        guard !plainWords.contains(value) else { return false }
        let bytes = Array(value.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        let isAlnum = { (c: UInt8) in (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        guard isAlnum(first) || first == 95 || first == 46 || first == 47 else { return false }
        guard last != 32, last != 58 else { return false }
        var previous: UInt8 = 0
        for c in bytes {
            let allowed = isAlnum(c) || "_-./@:+=$^()|?".utf8.contains(c) || c == 32 || c >= 0x80
            if !allowed { return false }
            if inFlow && (c == 44 || c == 91 || c == 93 || c == 123 || c == 125) { return false }
            if previous == 58 && c == 32 { return false }   // ": " starts a mapping
            if previous == 32 && c == 35 { return false }   // " #" starts a comment
            previous = c
        }
        return true
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
