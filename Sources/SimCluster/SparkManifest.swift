public import Routing
public import QueueConfig
import SourceDocuments

/// What the simulation needs to know of one SparkApplication, read from its manifest once at creation so a
/// bad value is refused then (422, naming the field) instead of surprising the scheduler later.
public struct SparkManifest: Sendable, Equatable {
    /// The annotation that fixes how long the application runs, in decimal seconds (`90`, `2.5`).
    public static let durationAnnotation = "bursar.dev/sim-duration-seconds"
    /// The annotation that forces the outcome: `failed` or `succeeded`.
    public static let outcomeAnnotation = "bursar.dev/sim-outcome"
    /// The label YuniKorn's shim reads the user from (`service.userLabelKey`'s default).
    public static let userLabel = "yunikorn.apache.org/username"
    /// The queue YuniKorn uses when nothing names one.
    public static let defaultQueue = "root.default"
    /// The user the summary names when neither `spec.proxyUser` nor the user label gives one.
    public static let defaultUser = "spark"

    /// The full queue path the application asks for.
    public var queue: String
    /// The YuniKorn application id (`yunikorn.apache.org/app-id`, else the object's name).
    public var applicationID: String
    /// The user YuniKorn records.
    public var user: String
    /// Driver plus executors: `vcore` in millicores, `memory` in bytes, `pods`.
    public var demand: ResourceVector
    /// How long to run, from the annotation; nil: ask the history, then the default.
    public var durationMillis: Int64?
    /// Whether it must fail (true) or succeed (false); nil: the seeded share decides.
    public var forcedFailure: Bool?
    /// `metadata.labels`, which the history lookup reads (workflow, job).
    public var labels: [String: String]

    /// Bundles the fields (tests build expectations with it).
    public init(queue: String, applicationID: String, user: String, demand: ResourceVector, durationMillis: Int64? = nil,
                forcedFailure: Bool? = nil, labels: [String: String] = [:]) {
        self.queue = queue
        self.applicationID = applicationID
        self.user = user
        self.demand = demand
        self.durationMillis = durationMillis
        self.forcedFailure = forcedFailure
        self.labels = labels
    }

    /// Reads a SparkApplication object (already given its name). Throws a 422 naming the field at fault.
    public static func read(_ object: JSONValue, name: String) throws(SimClusterError) -> SparkManifest {
        func invalid(_ field: String, _ problem: String) -> SimClusterError {
            SimClusterError.invalid(kind: "SparkApplication", name: name, field: field, problem)
        }
        let metadata = object["metadata"]
        let labels = stringMap(metadata?["labels"])
        let annotations = stringMap(metadata?["annotations"])
        let spec = object["spec"]
        let driverLabels = stringMap(spec?["driver"]?["labels"])

        // The order YuniKorn's shim reads a Spark pod's queue in, the batch scheduler option the operator copies
        // to the pods first.
        let queue = nonEmpty(spec?["batchSchedulerOptions"]?["queue"]?.stringValue)
            ?? nonEmpty(driverLabels[YuniKornLabel.queue]) ?? nonEmpty(labels[YuniKornLabel.queue])
            ?? nonEmpty(driverLabels["queue"]) ?? nonEmpty(labels["queue"]) ?? defaultQueue
        let appID = nonEmpty(driverLabels[YuniKornLabel.appID]) ?? nonEmpty(labels[YuniKornLabel.appID]) ?? name
        let user = nonEmpty(spec?["proxyUser"]?.stringValue) ?? nonEmpty(driverLabels[userLabel])
            ?? nonEmpty(labels[userLabel]) ?? defaultUser

        var demand = ResourceVector(["vcore": 0, "memory": 0, "pods": 0])
        for (role, instancesDefault) in [("driver", Int64(1)), ("executor", Int64(1))] {
            let pod = spec?[role]
            let path = "spec.\(role)"
            let instances: Int64
            if role == "executor" {
                instances = try integer(pod?["instances"], field: path + ".instances", default: instancesDefault,
                                        range: 0...10_000, invalid: invalid)
            } else {
                instances = 1
            }
            guard instances > 0 else { continue }
            let millicores: Int64
            if let request = pod?["coreRequest"] {
                guard let text = request.stringValue, case .success(let value) = Quantity.parse(text, milli: true), value > 0 else {
                    throw invalid(path + ".coreRequest", "\(describe(request)) is not a CPU quantity (use e.g. 500m or 2)")
                }
                millicores = value
            } else {
                millicores = try integer(pod?["cores"], field: path + ".cores", default: 1, range: 1...1_024, invalid: invalid) * 1000
            }
            let memory: Int64
            if let value = pod?["memory"] {
                guard let text = value.stringValue, let bytes = sparkMemory(text) else {
                    throw invalid(path + ".memory", "\(describe(value)) is not a Spark memory size (use e.g. 512m or 4g)")
                }
                memory = bytes
            } else {
                memory = 1 << 30  // Spark's default spark.driver.memory and spark.executor.memory: 1g
            }
            demand.add(ResourceVector(["vcore": millicores * instances, "memory": memory * instances, "pods": instances]))
        }

        var duration: Int64?
        if let text = annotations[durationAnnotation] {
            guard let seconds = Double(text), seconds.isFinite, seconds >= 0, seconds <= 365 * 86_400 else {
                throw invalid("metadata.annotations[\(durationAnnotation)]",
                              "\"\(text)\" is not a duration in seconds between 0 and 31536000 (write e.g. \"90\" or \"2.5\")")
            }
            duration = Int64((seconds * 1000).rounded())
        }
        var forced: Bool?
        if let text = annotations[outcomeAnnotation] {
            switch text.lowercased() {
            case "failed": forced = true
            case "succeeded": forced = false
            default:
                throw invalid("metadata.annotations[\(outcomeAnnotation)]", "\"\(text)\" is not failed or succeeded")
            }
        }
        return SparkManifest(queue: queue, applicationID: appID, user: user, demand: demand, durationMillis: duration,
                             forcedFailure: forced, labels: labels)
    }

    /// A Spark memory size in bytes: digits with an optional binary unit `k`, `m`, `g`, `t`, `p` (`kb` … too),
    /// any case, as `JavaUtils.byteStringAsMb` reads `spark.driver.memory`; digits alone are MiB.
    public static func sparkMemory(_ text: String) -> Int64? {
        let lower = text.lowercased()
        let digits = lower.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 15, let number = Int64(digits) else { return nil }
        var unit = lower.dropFirst(digits.count)
        if unit.hasSuffix("b"), unit.count == 2 { unit = unit.dropLast() }
        let shift: Int64
        switch unit {
        case "": shift = 20
        case "k": shift = 10
        case "m": shift = 20
        case "g": shift = 30
        case "t": shift = 40
        case "p": shift = 50
        default: return nil
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? nil : bytes
    }

    private static func integer(_ value: JSONValue?, field: String, default fallback: Int64, range: ClosedRange<Int64>,
                                invalid: (String, String) -> SimClusterError) throws(SimClusterError) -> Int64 {
        guard let value else { return fallback }
        let number: Int64?
        switch value {
        case .integer(let whole): number = whole
        case .double(let real) where real == real.rounded() && abs(real) < 1e15: number = Int64(real)
        default: number = nil
        }
        guard let number, range.contains(number) else {
            throw invalid(field, "\(describe(value)) is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private static func describe(_ value: JSONValue) -> String {
        let text = value.jsonText()
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    /// The string members of an object (labels, annotations); anything else is ignored.
    static func stringMap(_ value: JSONValue?) -> [String: String] {
        var map: [String: String] = [:]
        for member in value?.members ?? [] {
            if let text = member.value.stringValue { map[member.key] = text }
        }
        return map
    }
}

extension JSONValue {
    /// A parsed tree without positions (Routing keeps its own conversion internal).
    init(_ node: SourceNode) {
        switch node.value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .integer(let number): self = .integer(number)
        case .double(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .array(let elements): self = .array(elements.map(JSONValue.init))
        case .object(let members): self = .object(members.map { JSONValue.Member($0.key, JSONValue($0.node)) })
        }
    }
}
