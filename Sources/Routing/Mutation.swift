/// Writes a routing decision into a SparkApplication so that spark-operator hands its pods to YuniKorn in
/// the chosen queue. Only the fields below change; everything else, and the order of keys, stays as the
/// user wrote it.
public enum ManifestMutation {
    /// The mutated manifest:
    /// - `metadata.name`: the app id. Every submission is its own SparkApplication: a workflow submits the
    ///   same manifest every run, and Kubernetes refuses a second object of the same name. The name the user
    ///   gave is kept in the annotation `bursar.dev/submitted-name`;
    /// - `metadata.namespace`: the cluster's Spark namespace;
    /// - `spec.batchScheduler: yunikorn` and `spec.batchSchedulerOptions.queue`;
    /// - `spec.driver` and `spec.executor`: `schedulerName: yunikorn` (spark-operator v1beta2 puts
    ///   `schedulerName` on `SparkPodSpec`) and the labels `yunikorn.apache.org/queue` and
    ///   `yunikorn.apache.org/app-id`, which the shim reads first (reference §2).
    public static func apply(_ decision: RoutingDecision, appID: String, to submission: Submission) -> Manifest {
        var manifest = submission.manifest
        var metadata = manifest["metadata"] ?? .object([])
        if let submitted = metadata["name"]?.stringValue, submitted != appID {
            var annotations = metadata["annotations"] ?? .object([])
            annotations[IdentityLabel.submittedName] = .string(submitted)
            metadata["annotations"] = annotations
        }
        metadata["name"] = .string(appID)
        if metadata["namespace"] == nil, case .object(var members) = metadata {
            // A new namespace goes right after the name, where people look for it.
            let position = (members.firstIndex { $0.key == "name" }).map { $0 + 1 } ?? members.count
            members.insert(JSONValue.Member("namespace", .string(decision.namespace)), at: position)
            metadata = .object(members)
        } else {
            metadata["namespace"] = .string(decision.namespace)
        }
        manifest["metadata"] = metadata

        var spec = manifest["spec"] ?? .object([])
        spec["batchScheduler"] = .string(YuniKornLabel.schedulerName)
        var options = spec["batchSchedulerOptions"] ?? .object([])
        options["queue"] = .string(decision.queue)
        spec["batchSchedulerOptions"] = options
        for role in ["driver", "executor"] {
            var pod = spec[role] ?? .object([])
            pod["schedulerName"] = .string(YuniKornLabel.schedulerName)
            var labels = pod["labels"] ?? .object([])
            labels[YuniKornLabel.queue] = .string(decision.queue)
            labels[YuniKornLabel.appID] = .string(appID)
            pod["labels"] = labels
            spec[role] = pod
        }
        manifest["spec"] = spec
        return manifest
    }
}

/// YuniKorn application ids for routed submissions.
public enum AppID {
    /// The longest id: YuniKorn and Kubernetes label values stop at 63 characters.
    public static let maximumLength = 63

    /// An id of the form `<name>-<nonce in base 36>`: lower-case, `[a-z0-9-]`, at most 63 characters,
    /// starting and ending with a letter or digit. The name part is the app name made safe (the workflow
    /// when the name has nothing usable), cut so the nonce always fits; distinct nonces give distinct ids.
    /// The caller supplies the nonce (random in production, fixed in tests).
    public static func make(name: String, workflow: String?, nonce: UInt64) -> String {
        let suffix = String(nonce, radix: 36)
        var base = slug(name)
        if base.isEmpty, let workflow { base = slug(workflow) }
        if base.isEmpty { base = "app" }
        let room = maximumLength - suffix.count - 1
        if base.utf8.count > room {
            base = String(decoding: base.utf8.prefix(room), as: UTF8.self)
            while base.hasSuffix("-") { base.removeLast() }
        }
        return base + "-" + suffix
    }

    /// Lower-cased, runs of anything outside `[a-z0-9]` turned into one '-', no '-' at either end.
    static func slug(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for var c in text.utf8 {
            if c >= 0x41 && c <= 0x5A { c += 0x20 }
            if (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) {
                out.append(c)
            } else if let last = out.last, last != 0x2D {
                out.append(0x2D)
            }
        }
        while out.last == 0x2D { out.removeLast() }
        return String(decoding: out, as: UTF8.self)
    }
}
