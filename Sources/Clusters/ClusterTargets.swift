public import Platform

/// Chooses the target for a registry entry: its Kubernetes API when the registry says how to reach it, a dry
/// run otherwise or when asked for one.
public enum ClusterTargets {
    /// Where dry-run journals go by default: `<folder>/<cluster>.jsonl`.
    public static let defaultDryRunFolder = ".bursar/dry-run"

    /// The target for `cluster`.
    /// - Parameters:
    ///   - dryRun: record instead of sending, even when a `kubernetes:` section is present.
    ///   - dryRunFolder: where the dry-run journal is kept; nil keeps it in memory only.
    ///   - timeout: limit for each Kubernetes request.
    public static func target(for cluster: Cluster, dryRun: Bool = false,
                              dryRunFolder: String? = defaultDryRunFolder,
                              timeout: Duration = .seconds(30)) throws -> any ClusterTarget {
        if !dryRun, let endpoint = cluster.kubernetes {
            return KubernetesTarget(cluster: cluster.name, endpoint: endpoint, timeout: timeout)
        }
        let journal = dryRunFolder.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + cluster.name + ".jsonl" }
        return try DryRunTarget(
            cluster: cluster.name, namespace: cluster.kubernetes?.namespace ?? KubernetesEndpoint.defaultNamespace,
            sparkNamespace: cluster.kubernetes?.sparkNamespace ?? KubernetesEndpoint.defaultSparkNamespace,
            journal: journal)
    }
}
