@testable import Allocation
@testable import Platform
import Testing

/// The `kubernetes:` section of clusters.yaml and the `deploy:` section of policy.yaml.
@Suite("Cluster endpoints and deploy policy")
struct ClusterEndpointTests {
    @Test func readsTheKubernetesSectionWithDefaultsAndResolvedPaths() throws {
        let clusters = try ClusterRegistry.parse("""
            clusters:
              - name: moka-a
                capacity: {vcore: 4000, memory: 16Ti}
                kubernetes:
                  server: https://10.0.0.1:6443/
                  token_file: secrets/moka-a.token
                  ca_file: /etc/bursar/ca.pem
              - name: moka-b
                capacity: {vcore: 2000, memory: 8Ti}
                kubernetes: {server: https://k.example:443, namespace: yk, spark_namespace: jobs,
                             client_cert_file: c.pem, client_key_file: k.pem}
              - name: moka-c
                capacity: {vcore: 10, memory: 1Ti}
            """, file: "/repo/Queues/clusters.yaml")
        let a = try #require(clusters[0].kubernetes)
        #expect(a == KubernetesEndpoint(
            server: "https://10.0.0.1:6443", namespace: "yunikorn", sparkNamespace: "spark",
            tokenFile: "/repo/Queues/secrets/moka-a.token", caFile: "/etc/bursar/ca.pem",
            origin: "/repo/Queues/clusters.yaml:5"))
        let b = try #require(clusters[1].kubernetes)
        #expect(b.namespace == "yk")
        #expect(b.sparkNamespace == "jobs")
        #expect(b.clientCertFile == "/repo/Queues/c.pem")
        #expect(b.clientKeyFile == "/repo/Queues/k.pem")
        #expect(b.tokenFile == nil)
        #expect(clusters[2].kubernetes == nil)
    }

    /// A file named without a folder stays relative to the working directory, as the file itself is.
    @Test func relativeRegistryKeepsRelativePaths() {
        #expect(ClusterRegistry.resolve("t.token", against: "clusters.yaml") == "t.token")
        #expect(ClusterRegistry.resolve("t.token", against: "Queues/clusters.yaml") == "Queues/t.token")
        #expect(ClusterRegistry.resolve("/abs/t", against: "Queues/clusters.yaml") == "/abs/t")
    }

    struct BadSection: Sendable, CustomTestStringConvertible {
        var section: String
        var field: String
        var words: String
        var testDescription: String { "\(field): \(words)" }
    }

    @Test(arguments: [
        BadSection(section: "{namespace: yunikorn}", field: "clusters[0].kubernetes", words: "missing server"),
        BadSection(section: "{server: 10.0.0.1:6443}", field: "clusters[0].kubernetes.server", words: "https://host:port"),
        BadSection(section: "{server: https://a, namespace: YuniKorn}", field: "clusters[0].kubernetes.namespace",
                   words: "namespace name"),
        BadSection(section: "{server: https://a, token: x}", field: "clusters[0].kubernetes.token", words: "unknown key"),
        BadSection(section: "{server: https://a, client_cert_file: c.pem}", field: "clusters[0].kubernetes",
                   words: "give both or neither"),
        BadSection(section: "https://a", field: "clusters[0].kubernetes", words: "expected a mapping"),
    ])
    func reportsKubernetesSectionMistakesWithLineAndField(_ bad: BadSection) throws {
        let error = #expect(throws: InputError.self) {
            try ClusterRegistry.parse("""
                clusters:
                  - name: moka-a
                    capacity: {vcore: 4000, memory: 16Ti}
                    kubernetes: \(bad.section)
                """, file: "clusters.yaml")
        }
        let problem = try #require(error?.problems.first)
        #expect(error?.problems.count == 1)
        #expect(problem.field == bad.field)
        #expect(problem.line == 4)
        #expect(problem.message.contains(bad.words), "\(problem)")
    }

    @Test func deployShrinkAllowanceDefaultsToTheChangeLimit() throws {
        let plain = try AllocationPolicy.parse("max_change_fraction: 0.25\n", file: "policy.yaml")
        #expect(plain.maxTier1ShrinkFraction == nil)
        #expect(plain.tier1ShrinkAllowance == 0.25)
        let explicit = try AllocationPolicy.parse(
            "max_change_fraction: 0.25\ndeploy: {max_tier1_shrink_fraction: 0.1}\n", file: "policy.yaml")
        #expect(explicit.tier1ShrinkAllowance == 0.1)
        let error = #expect(throws: InputError.self) {
            try AllocationPolicy.parse("deploy: {max_tier1_shrink_fraction: 2}\n", file: "policy.yaml")
        }
        #expect(error?.problems.first?.field == "deploy.max_tier1_shrink_fraction")
        #expect(error?.problems.first?.line == 1)
    }
}
