/// Mapping files read for an ingest, merged into what the store already holds.
///
/// Each of workflows.csv, projects.csv and owners.csv is the whole truth when given: it replaces the
/// stored table. job_apps rows only ever get added (in production the router appends them as it
/// submits); a file row that would move a stored application to another run is refused, since an
/// application belongs to one run and its run's progress has already counted it.
public struct MappingMerge: Sendable {
    /// The mappings to attribute with: stored, with the files applied.
    public var merged: Mappings
    /// Which of workflows, projects and owners differ from what was stored (and must be written).
    public var changedTables: Set<MappingFile>
    /// job_apps rows not stored yet, in no particular order.
    public var newJobApps: [(appID: String, run: Mappings.JobApp)]
    /// File rows refused because they contradict the store.
    public var problems: [MappingProblem]

    /// Nothing read from files: the stored mappings as they are.
    public init(stored: Mappings) {
        merged = stored
        changedTables = []
        newJobApps = []
        problems = []
    }

    /// Applies `files` (whose tables present in `present` were read) to `stored`.
    public init(stored: Mappings, files: Mappings, present: Set<MappingFile>) {
        self.init(stored: stored)
        if present.contains(.workflows) && files.workflows != stored.workflows {
            merged.workflows = files.workflows
            changedTables.insert(.workflows)
        }
        if present.contains(.projects) && files.projectOwners != stored.projectOwners {
            merged.projectOwners = files.projectOwners
            changedTables.insert(.projects)
        }
        if present.contains(.owners) && files.ownerOrgs != stored.ownerOrgs {
            merged.ownerOrgs = files.ownerOrgs
            changedTables.insert(.owners)
        }
        guard present.contains(.jobApps) else { return }
        if stored.jobApps.isEmpty {
            merged.jobApps = files.jobApps
            newJobApps = files.jobApps.map { ($0.key, $0.value) }
        } else {
            merged.jobApps.reserveCapacity(stored.jobApps.count + files.jobApps.count)
            for (app, run) in files.jobApps {
                if let existing = stored.jobApps[app] {
                    if existing != run {
                        problems.append(MappingProblem(
                            file: MappingFile.jobApps.rawValue, line: 0,
                            message: "app_id \"\(app)\" is stored as part of run \(existing.workflow)/\(existing.runID); "
                                + "an application belongs to one run, so the row mapping it to \(run.workflow)/\(run.runID) "
                                + "was skipped; correct or remove that row of job_apps.csv"))
                    }
                    continue
                }
                merged.jobApps[app] = run
                newJobApps.append((app, run))
            }
        }
    }
}
