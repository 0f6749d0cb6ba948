import Testing
import Diagnostics
@testable import Workflows

@Suite("Workflow definitions read strictly")
struct WorkflowReaderTests {
    static let valid = """
    workflow: ads-daily-rollup
    project: ads-reporting
    tier: 1
    schedule: "45 2 * * *"
    timezone: America/Los_Angeles
    slo_minutes: 120
    start_date: 2026-11-01
    catchup: {max_days: 3}
    max_active_runs: 1
    defaults:
      retries: 2
      retry_delay: 5m
      timeout: 2h
      spark: {image: "registry/spark:3.5.1", driver: {cores: 1, memory: 2g}, executor: {instances: 2, cores: 2, memory: 4g}}
    jobs:
      - name: extract
        spark: {main: "local:///opt/jobs/extract.py"}
      - name: aggregate
        depends_on: [extract]
        spark: {main: "local:///opt/jobs/aggregate.py", executor: {instances: 8}}
        timeout: 30m
      - name: replan
        depends_on: [aggregate]
        bursar: allocate

    """

    func findings(_ text: String) -> [PipelineFinding] {
        PipelineCheck.checkFile(PipelineSource(file: "p.yaml", text: text), readFile: { _, path in
            .failure(SourceProblem(file: path, line: 0, message: "no such file"))
        }).findings
    }

    @Test func aValidDefinitionReadsWithDefaultsApplied() throws {
        let (workflow, found) = WorkflowReader.read(Self.valid, file: "p.yaml")
        #expect(found.isEmpty, "\(found)")
        let read = try #require(workflow)
        #expect(read.name == "ads-daily-rollup")
        #expect(read.tier == 1 && read.sloMinutes == 120 && read.catchupDays == 3 && read.maxActiveRuns == 1)
        #expect(read.zone.identifier == "America/Los_Angeles")
        // 2026-11-01 00:00 in Los Angeles is 07:00 UTC (PDT, UTC-7).
        #expect(read.startsAt == 1_793_516_400_000)
        #expect(read.jobs.map(\.name) == ["extract", "aggregate", "replan"])
        #expect(read.jobs[0].retry == RetryPolicy(retries: 2, delaySeconds: 300, backoff: 2))
        #expect(read.jobs[0].timeoutSeconds == 7200 && read.jobs[1].timeoutSeconds == 1800)
        #expect(read.graph.order == [0, 1, 2])
        guard case .spark(let spec) = read.jobs[1].action else { Issue.record("aggregate is a Spark job"); return }
        // The job's executor overrides instances and keeps the defaults' cores and memory.
        #expect(spec["executor"]?["instances"]?.scalarText == "8")
        #expect(spec["executor"]?["cores"]?.scalarText == "2")
        #expect(spec["image"]?.scalarText == "registry/spark:3.5.1")
        guard case .bursar(.allocate) = read.jobs[2].action else { Issue.record("replan is the allocate step"); return }
        // And the router takes both Spark jobs as written.
        #expect(findings(Self.valid).isEmpty)
    }

    @Test(arguments: [
        ("schedule: \"45 2 * * *\"", "schedule: \"61 2 * * *\"", 4, "schedule", "minute"),
        ("timezone: America/Los_Angeles", "timezone: Pacific/Nowhere", 5, "timezone", "not a time zone"),
        ("tier: 1", "tier: 4", 3, "tier", "out of range"),
        ("catchup: {max_days: 3}", "catchup: {max_days: 45}", 8, "catchup.max_days", "at most 31"),
        ("start_date: 2026-11-01", "start_date: 2026-02-30", 7, "start_date", "not a date"),
        ("  retry_delay: 5m", "  retry_delay: soon", 12, "defaults.retry_delay", "duration"),
        ("    bursar: allocate", "    bursar: rm -rf /", 24, "jobs[2].bursar", "not a built-in step"),
        ("max_active_runs: 1", "max_active_run: 1", 9, "max_active_run", "unknown key"),
    ])
    func eachMistakeIsNamedWithItsPlace(original: String, replacement: String, line: Int, field: String, says: String) {
        let text = Self.valid.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.valid)
        let found = findings(text)
        let match = found.first { $0.problem.field == field }
        #expect(match?.problem.line == line, "\(found)")
        #expect(match?.problem.message.contains(says) == true, "\(found)")
        #expect(match?.problem.column ?? 0 > 0)
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        let text = """
        workflow: Bad_Name
        tier: 9
        schedule: "* * *"
        slo_minutes: 0
        start_date: tomorrow
        jobs:
          - name: a
            depends_on: [c]
            spark: {main: "local:///a.py", image: "i", driver: {cores: 1, memory: 1g}, executor: {instances: 1, cores: 1, memory: 1g}}
          - name: a
            bursar: nightly
          - name: b
            spark_file: x.yaml
            bursar: deploy
          - name: c
            depends_on: [a]
            bursar: ingest

        """
        let fields = Set(findings(text).map(\.problem.field))
        for expected in ["workflow", "project", "tier", "schedule", "slo_minutes", "start_date", "jobs[1].name", "jobs[2]", "jobs[0].depends_on"] {
            #expect(fields.contains(expected), "missing \(expected) in \(fields.sorted())")
        }
        let cycle = findings(text).first { $0.problem.message.contains("cycle") }
        #expect(cycle?.problem.message.contains("a → c → a") == true, "\(String(describing: cycle))")
    }

    @Test func theRoutersRefusalIsReportedAtTheJobsSpec() {
        let text = Self.valid.replacingOccurrences(of: "spark: {main: \"local:///opt/jobs/extract.py\"}",
                                                   with: "spark: {main: \"local:///opt/jobs/extract.py\", executor: {instances: -3}}")
        let found = findings(text)
        let refusal = found.first { $0.problem.field.hasPrefix("jobs[0].spark") }
        #expect(refusal?.problem.message.contains("the router would refuse") == true, "\(found)")
        #expect(refusal?.problem.line == 17, "\(found)")
    }

    @Test func theRoutersRefusalIsReportedWithTheFilesOtherProblems() {
        let text = Self.valid.replacingOccurrences(of: "tier: 1", with: "tier: 7")
            .replacingOccurrences(of: "    spark: {main: \"local:///opt/jobs/aggregate.py\", executor: {instances: 8}}",
                                  with: "    spark: {main: \"local:///opt/jobs/aggregate.py\", executor: {instances: 0}}")
        let fields = findings(text).map(\.problem.field)
        #expect(fields.contains("tier"), "\(fields)")
        #expect(fields.contains { $0.hasPrefix("jobs[1].spark") }, "\(fields)")
    }

    @Test func fieldsTheSchedulerOwnsAreRefusedInASpec() {
        let text = Self.valid.replacingOccurrences(of: "spark: {main: \"local:///opt/jobs/extract.py\"}",
                                                   with: "spark: {main: \"local:///opt/jobs/extract.py\", project: other, run_id: r1}")
        let fields = findings(text).map(\.problem.field)
        #expect(fields.contains("jobs[0].spark.project") && fields.contains("jobs[0].spark.run_id"), "\(fields)")
    }

    @Test func aSparkFileIsCheckedWithTheSchedulersLabels() {
        let application = """
        apiVersion: sparkoperator.k8s.io/v1beta2
        kind: SparkApplication
        metadata:
          name: aggregate
        spec:
          type: Python
          mode: cluster
          image: registry/spark:3.5.1
          mainApplicationFile: local:///opt/jobs/aggregate.py
          sparkVersion: 3.5.1
          driver: {cores: 1, memory: 2g}
          executor: {instances: 2, cores: 2, memory: 4g}

        """
        let text = Self.valid.replacingOccurrences(of: "spark: {main: \"local:///opt/jobs/aggregate.py\", executor: {instances: 8}}",
                                                   with: "spark_file: aggregate.yaml")
        func check(_ body: String) -> [PipelineFinding] {
            PipelineCheck.checkFile(PipelineSource(file: "team/p.yaml", text: text), readFile: { definition, path in
                #expect(definition == "team/p.yaml" && path == "aggregate.yaml")
                return .success((file: "team/aggregate.yaml", text: body))
            }).findings
        }
        #expect(check(application).isEmpty, "\(check(application))")
        let labelled = application.replacingOccurrences(of: "  name: aggregate\n", with: "  name: aggregate\n  labels: {bursar.dev/project: elsewhere}\n")
        let refusal = check(labelled).first
        #expect(refusal?.problem.file == "team/aggregate.yaml")
        #expect(refusal?.problem.line == 5, "\(String(describing: refusal))")
        #expect(refusal?.problem.message.contains("set by the scheduler") == true)
        // The file's own name gives way to the attempt's (each attempt is its own SparkApplication) …
        #expect(check(application.replacingOccurrences(of: "  name: aggregate\n", with: "  name: Aggregate_Job\n")).isEmpty)
        // … but what the router refuses in the file is reported at its line in the file.
        let refused = check(application.replacingOccurrences(of: "  driver: {cores: 1, memory: 2g}\n",
                                                              with: "  driver: {cores: 1, memory: 2g, labels: 3}\n"))
        #expect(refused.first?.problem.file == "team/aggregate.yaml", "\(refused)")
        #expect(refused.first?.problem.field == "spec.driver.labels", "\(refused)")
        #expect(refused.first?.problem.line == 11, "\(refused)")
    }

    @Test func acrossFilesNamesAreUniqueProjectsMappedAndSLOsChecked() {
        let other = Self.valid.replacingOccurrences(of: "project: ads-reporting", with: "project: nobody")
        let sources = [PipelineSource(file: "a.yaml", text: Self.valid), PipelineSource(file: "b.yaml", text: other),
                       PipelineSource(file: "c.yaml", text: Self.valid.replacingOccurrences(of: "ads-daily-rollup", with: "ads-hourly"))]
        let context = PipelineContext(projects: ["ads-reporting"], lastRuntimes: ["ads-hourly": ["extract": 3600, "aggregate": 5400]])
        let catalog = PipelineCheck.check(sources, context: context, readFile: { _, path in .failure(SourceProblem(file: path, line: 0, message: "none")) })
        #expect(catalog.workflows.map(\.name) == ["ads-daily-rollup", "ads-hourly"])
        #expect(catalog.findings.contains { $0.problem.file == "b.yaml" && $0.problem.message.contains("also defined in a.yaml") })
        let slo = catalog.findings.first { $0.problem.field == "slo_minutes" }
        #expect(slo?.severity == .warning)
        #expect(slo?.problem.message.contains("150 minutes") == true, "\(String(describing: slo))")
        #expect(catalog.errors == 1 && catalog.warnings == 1 && catalog.jobs == 9)
    }

    @Test(arguments: [("90s", 90), ("5m", 300), ("2h", 7200), ("1h30m", 5400), ("1d", 86_400)])
    func durations(text: String, seconds: Int) {
        #expect(DurationText.seconds(text) == seconds)
        #expect(DurationText.seconds(DurationText.format(seconds)) == seconds)
    }

    @Test(arguments: ["", "5", "m", "5x", "30m1h", "1h1h", "-5m", "99999999s"])
    func durationsRefused(text: String) {
        #expect(DurationText.seconds(text) == nil)
    }
}
