import Testing
import Diagnostics
@testable import Workflows

/// `pipelines validate` checks without keeping the workflows; what it reports is what the scheduler's check
/// (which keeps them) finds.
struct PipelineCatalogTests {
    @Test func notKeepingTheWorkflowsFindsTheSame() {
        let valid = WorkflowReaderTests.valid
        let sources = [
            PipelineSource(file: "a.yaml", text: valid),
            PipelineSource(file: "b.yaml", text: valid.replacingOccurrences(of: "project: ads-reporting", with: "project: nobody")),
            PipelineSource(file: "c.yaml", text: valid.replacingOccurrences(of: "ads-daily-rollup", with: "ads-hourly")),
            PipelineSource(file: "d.yaml", text: valid.replacingOccurrences(of: "ads-daily-rollup", with: "ads-weekly")
                .replacingOccurrences(of: "project: ads-reporting", with: "project: nobody")),
            PipelineSource(file: "e.yaml", text: valid.replacingOccurrences(of: "ads-daily-rollup", with: "ads-broken")
                .replacingOccurrences(of: "tier: 1", with: "tier: 9")),
        ]
        let context = PipelineContext(projects: ["ads-reporting"], mappedWorkflows: ["ads-hourly": ("ads-reporting", 2, 60)],
                                      lastRuntimes: ["ads-hourly": ["extract": 3600, "aggregate": 5400]])
        let readFile: PipelineCheck.FileReader = { _, path in .failure(SourceProblem(file: path, line: 0, message: "none")) }
        let kept = PipelineCheck.check(sources, context: context, readFile: readFile)
        let reported = PipelineCheck.check(sources, context: context, readFile: readFile, keepingWorkflows: false)
        #expect(kept.findings == reported.findings)
        #expect(kept.findings.contains { $0.problem.field == "slo_minutes" && $0.severity == .warning })
        #expect(kept.workflows.map(\.name) == ["ads-daily-rollup", "ads-hourly"])
        #expect(kept.valid == 2 && reported.valid == 2 && reported.workflows.isEmpty)
        #expect(kept.jobs == reported.jobs && kept.files == reported.files)
        #expect(kept.errors == reported.errors && kept.warnings == reported.warnings)
    }
}

/// The scheduler-owned keys of a job's spec, decided without scanning the list, are the list's.
struct SchedulerOwnedKeyTests {
    @Test func theQuickAnswerIsTheListsAnswer() {
        let keys = WorkflowReader.schedulerOwnedSparkKeys + ["image", "main", "main_class", "args", "spark_version", "driver", "executor",
                                                              "conf", "kind", "", "or", "orgs", "Tier", "names", "run-id", "runid_",
                                                              "projects", "workflow ", "scheduled-at", "scheduled_at_"]
        for key in keys {
            #expect(WorkflowReader.isSchedulerOwned(key) == WorkflowReader.schedulerOwnedSparkKeys.contains(key), "\(key)")
        }
    }
}
