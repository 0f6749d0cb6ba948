import Foundation

/// Workflow definitions in the shape of Spinner's stress test (Pinterest's Airflow): many workflows of many
/// jobs, chains and fan-outs up to 10 wide, all due in the same minute. For `bursar bench pipelines`, the
/// scheduler's benchmark and tests; seeded, so the same arguments give the same files.
public enum SyntheticPipelines {
    /// One definition file.
    public struct File: Sendable {
        /// The path under the output folder: `<team>/<workflow>.yaml`.
        public var path: String
        public var text: String
    }

    /// `workflows` definitions of `jobs` jobs each, spread over `projects` projects (named `proj-NNN`, owned by
    /// `team-NNN`), every one scheduled at `minute hour * * *` UTC.
    /// `catchupDays` 0 makes a first pass create only the latest tick's run; with `startDate` the tick's own day,
    /// no earlier tick exists at all (the benchmark's "all due now").
    public static func files(workflows: Int, jobs: Int, projects: Int = 100, minute: Int = 0, hour: Int = 2, seed: UInt64 = 16,
                             catchupDays: Int = 1, startDate: String = "2026-11-01") -> [File] {
        var random = SplitMix64(seed: seed)
        var files: [File] = []
        files.reserveCapacity(workflows)
        for index in 0..<workflows {
            let project = index % max(1, projects)
            let name = "wf-\(pad(index, 5))"
            let team = "team-\(pad(project % 40, 3))"
            var text = """
            workflow: \(name)
            project: proj-\(pad(project, 3))
            tier: \(1 + index % 3)
            schedule: "\(minute) \(hour) * * *"
            timezone: UTC
            slo_minutes: \(60 + 30 * (index % 5))
            start_date: \(startDate)
            catchup: {max_days: \(catchupDays)}
            max_active_runs: 1
            defaults:
              retries: 1
              retry_delay: 1m
              timeout: 1h
              spark: {image: "registry.example/spark:3.5.1", driver: {cores: 1, memory: 2g}, executor: {instances: 2, cores: 2, memory: 4g}}
            jobs:

            """
            text.reserveCapacity(jobs * 90 + 600)
            // Stages of 1 to 10 jobs; each job depends on one or two jobs of the stage before.
            var previous: [Int] = []
            var made = 0
            while made < jobs {
                let width = min(jobs - made, 1 + Int(random.next() % 10))
                var stage: [Int] = []
                for _ in 0..<width {
                    let job = made
                    made += 1
                    stage.append(job)
                    text += "  - name: j\(pad(job, 3))\n"
                    if !previous.isEmpty {
                        let first = previous[Int(random.next() % UInt64(previous.count))]
                        let second = previous[Int(random.next() % UInt64(previous.count))]
                        let dependencies = first == second ? ["j\(pad(first, 3))"] : ["j\(pad(min(first, second), 3))", "j\(pad(max(first, second), 3))"]
                        text += "    depends_on: [\(dependencies.joined(separator: ", "))]\n"
                    }
                    text += "    spark: {main: \"local:///opt/jobs/\(name)/j\(pad(job, 3)).py\"}\n"
                }
                previous = stage
            }
            files.append(File(path: "\(team)/\(name).yaml", text: text))
        }
        return files
    }

    /// Writes `files` under `<folder>/Pipelines/` and their mappings (`projects.csv`, `owners.csv`) under
    /// `<folder>/mappings/`; returns the definitions' bytes.
    public static func write(_ files: [File], to folder: String) throws -> Int {
        var bytes = 0
        for file in files {
            let path = folder + "/Pipelines/" + file.path
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try file.text.write(toFile: path, atomically: false, encoding: .utf8)
            bytes += file.text.utf8.count
        }
        try FileManager.default.createDirectory(atPath: folder + "/mappings", withIntermediateDirectories: true)
        let rows = mappings()
        try rows.projects.write(toFile: folder + "/mappings/projects.csv", atomically: false, encoding: .utf8)
        try rows.owners.write(toFile: folder + "/mappings/owners.csv", atomically: false, encoding: .utf8)
        return bytes
    }

    /// `projects.csv` and `owners.csv` for the projects `files` uses.
    public static func mappings(projects: Int = 100) -> (projects: String, owners: String) {
        var projectRows = "project,owner\n", ownerRows = "owner,org\n"
        for project in 0..<projects { projectRows += "proj-\(pad(project, 3)),team-\(pad(project % 40, 3))\n" }
        for team in 0..<min(projects, 40) { ownerRows += "team-\(pad(team, 3)),org-\(pad(team % 8, 2))\n" }
        return (projectRows, ownerRows)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
