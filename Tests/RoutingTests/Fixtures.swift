import Synth
@testable import Routing

/// Submission bodies and snapshots the tests share.
enum Fixtures {
    static let crdYAML = """
    # a SparkApplication as a workflow scheduler writes it
    apiVersion: sparkoperator.k8s.io/v1beta2
    kind: SparkApplication
    metadata:
      name: etl-daily-load
      labels:
        bursar.dev/workflow: etl-daily
        bursar.dev/project: fraud
        bursar.dev/tier: "1"
        bursar.dev/job: load
        bursar.dev/run-id: run-42
        bursar.dev/scheduled-at: "1714528800000"
        team-lane: standard
    spec:
      type: Scala
      mode: cluster
      image: registry.example/spark:3.5.1
      mainClass: com.example.EtlDaily
      mainApplicationFile: local:///opt/jobs/etl.jar
      arguments: ["--date", "2024-05-01", "--retries", "3"]
      sparkVersion: 3.5.1
      sparkConf:
        spark.sql.shuffle.partitions: "400"
      restartPolicy:
        type: Never
      driver:
        cores: 1
        memory: 2g
        serviceAccount: spark
        labels:
          version: 3.5.1
      executor:
        instances: 4
        cores: 2
        memory: 4g

    """

    static let crdJSON = """
    {
      "apiVersion": "sparkoperator.k8s.io/v1beta2",
      "kind": "SparkApplication",
      "metadata": {
        "name": "etl-daily-load",
        "labels": {
          "bursar.dev/workflow": "etl-daily",
          "bursar.dev/project": "fraud",
          "bursar.dev/tier": "tier1",
          "bursar.dev/scheduled-at": "20240501T020000Z"
        }
      },
      "spec": {
        "type": "Scala",
        "image": "registry.example/spark:3.5.1",
        "mainApplicationFile": "local:///opt/jobs/etl.jar",
        "sparkVersion": "3.5.1",
        "driver": {"cores": 1, "memory": "2g"},
        "executor": {"instances": 4, "cores": 2, "memory": "4g", "deleteOnTermination": false, "coreRequest": "1500m"}
      }
    }
    """

    static let compactYAML = """
    kind: SparkJob
    workflow: etl-daily
    project: fraud
    tier: 2
    job: load
    run_id: 42
    scheduled_at: 2024-05-01T02:00:00Z
    name: etl-daily-load
    image: registry.example/spark:3.5.1
    main: local:///opt/jobs/etl.jar
    main_class: com.example.EtlDaily
    args: [--date, 2024-05-01, 3]
    driver: {cores: 1, memory: 2g}
    executor: {instances: 4, cores: 2, memory: 4g}
    conf:
      spark.dynamicAllocation.enabled: true
      spark.sql.shuffle.partitions: 400

    """

    static let compactJSON = """
    {"workflow": "score-hourly", "project": "risk-models", "tier": "tier3", "name": "score-hourly",
     "image": "registry.example/pyspark:3.5.1", "main": "local:///opt/jobs/score.py",
     "driver": {"cores": 1, "memory": "1g"}, "executor": {"instances": 2, "cores": 1, "memory": "2g"}}
    """

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    // MARK: Snapshot

    static let clusters: [String: ClusterState] = [
        "moka-a": ClusterState(healthy: true, sparkNamespace: "spark-a", onboardingHeadroom: 40),
        "moka-b": ClusterState(healthy: true, sparkNamespace: "spark-b", onboardingHeadroom: 120),
        "moka-c": ClusterState(healthy: true, sparkNamespace: "spark-c", onboardingHeadroom: 120),
        "moka-d": ClusterState(healthy: false, sparkNamespace: "spark-d", onboardingHeadroom: 500),
    ]

    static let projects: [String: ProjectOwnership] = [
        "fraud": ProjectOwnership(owner: "risk-eng", org: "risk"),
        "fraud-features": ProjectOwnership(owner: "risk-eng", org: "risk"),
        "ads": ProjectOwnership(owner: "ads-team", org: "growth"),
        "newproj": ProjectOwnership(owner: "data-platform", org: "platform"),
        "stranded": ProjectOwnership(owner: "data-platform", org: "platform"),
    ]

    static let routes: [RouteKey: RouteTarget] = [
        RouteKey(org: "risk", project: "fraud", tier: 1): RouteTarget(cluster: "moka-a", queue: "root.risk.fraud.tier1"),
        RouteKey(org: "risk", project: "fraud", tier: 2): RouteTarget(cluster: "moka-a", queue: "root.risk.fraud.tier2"),
        RouteKey(org: "risk", project: "fraud-features", tier: 1): RouteTarget(cluster: "moka-b", queue: "root.risk.fraud-features.tier1"),
        RouteKey(org: "growth", project: "ads", tier: 1): RouteTarget(cluster: "moka-c", queue: "root.growth.ads.tier1"),
        RouteKey(org: "growth", project: "ads", tier: 3): RouteTarget(cluster: "moka-c", queue: "root.growth.ads.tier3"),
        RouteKey(org: "platform", project: "stranded", tier: 1): RouteTarget(cluster: "moka-d", queue: "root.platform.stranded.tier1"),
    ]

    static func snapshot(_ rules: [RoutingRule], clusters: [String: ClusterState] = clusters) -> RoutingSnapshot {
        RoutingSnapshot(rules: rules, routes: routes, clusters: clusters, projects: projects, version: 7, builtAt: 1_714_528_800_000)
    }

    static func facts(project: String = "fraud", tier: Int = 1, workflow: String? = "etl-daily", org: String? = nil,
                      labels: [String: String] = [:]) -> SubmissionFacts {
        SubmissionFacts(org: org, project: project, tier: tier, workflow: workflow, name: (workflow ?? project) + "-run", labels: labels)
    }

    static func rule(_ id: String, priority: Int = 10, match: RuleMatch, to cluster: String, fallback: String? = nil,
                     queue: String? = nil) -> RoutingRule {
        RoutingRule(id: id, priority: priority, match: match, split: [ClusterShare(cluster: cluster, percent: 100)],
                    fallback: fallback, queue: queue)
    }
}
