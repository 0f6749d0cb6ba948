internal import SourceDocuments
/// The labels a SparkApplication carries on `metadata.labels` to say whose work it is. They are the one
/// place these names are spelled; the compact job spec is expanded into them.
public enum IdentityLabel {
    /// The workflow the application belongs to (required).
    public static let workflow = "bursar.dev/workflow"
    /// The project, the second level below the org in `root.<org>.<project>.tier<N>` (required).
    public static let project = "bursar.dev/project"
    /// The tier, `1`, `2` or `3` (`tier1` … is accepted too) (required).
    public static let tier = "bursar.dev/tier"
    /// The job within the workflow (optional).
    public static let job = "bursar.dev/job"
    /// The workflow run (optional).
    public static let runID = "bursar.dev/run-id"
    /// When the run was scheduled: epoch milliseconds, or ISO 8601 in the label-safe basic form
    /// `20240501T020000Z` (label values cannot hold `:`) (optional).
    public static let scheduledAt = "bursar.dev/scheduled-at"
    /// The org, when the project name alone is ambiguous (optional).
    public static let org = "bursar.dev/org"
    /// The annotation keeping the name a submission came with (the router names each SparkApplication after its
    /// app id).
    public static let submittedName = "bursar.dev/submitted-name"

    /// The labels every submission must carry.
    public static let required = [workflow, project, tier]
    /// Every identity label, required first.
    public static let all = [workflow, project, tier, job, runID, scheduledAt, org]
}

/// Whose work a submission is, as far as routing may believe it. The project is the submitter's claim
/// that authorization checked; the org is never the submitter's: it comes from the project's mappings.
public enum TrustedIdentity {
    /// The facts to route and record with `org` set from projects.csv/owners.csv. A `bursar.dev/org` (or
    /// compact `org`) that names another org is refused, naming the field: silently routing the job as
    /// some other org's would hide a mistake, or an attempt. Where the mappings know no org for the project
    /// the submitted one is dropped, not believed.
    public static func facts(_ submission: Submission, in snapshot: RoutingSnapshot) throws(SubmissionError) -> SubmissionFacts {
        var facts = submission.facts
        let known = snapshot.org(of: facts.project)
        if let claimed = facts.org, let known, claimed != known {
            let field = submission.form == .compactSpec ? "org" : SourcePath.child("metadata.labels", IdentityLabel.org)
            throw SubmissionError(.invalidValue, field: field,
                                  message: "\"\(claimed)\" is not the org of project \(facts.project) (projects.csv and owners.csv give \(known)); leave the label out or write \(known)")
        }
        facts.org = known
        return facts
    }
}

/// The labels and values YuniKorn reads from pods (reference: yunikorn-on-kubernetes.md §2).
public enum YuniKornLabel {
    /// The queue a pod asks for.
    public static let queue = "yunikorn.apache.org/queue"
    /// The application a pod belongs to.
    public static let appID = "yunikorn.apache.org/app-id"
    /// The scheduler name on pods and the batch scheduler name on SparkApplications.
    public static let schedulerName = "yunikorn"
}

/// Kubernetes label value rules: at most 63 characters of `[A-Za-z0-9_.-]`, starting and ending with an
/// alphanumeric (empty is allowed).
enum LabelValue {
    static func problem(_ value: String) -> String? {
        guard !value.isEmpty else { return nil }
        // Most values are valid: one pass over the bytes says so before any message is considered.
        var copy = value
        let valid = copy.withUTF8 { bytes in
            func isAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
            guard bytes.count <= 63, isAlnum(bytes[0]), isAlnum(bytes[bytes.count - 1]) else { return false }
            for c in bytes where !(isAlnum(c) || c == 0x2D || c == 0x5F || c == 0x2E) { return false }
            return true
        }
        if valid { return nil }
        if value.utf8.count > 63 { return "is \(value.utf8.count) characters long; label values hold at most 63" }
        func isAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
        for c in value.utf8 where !(isAlnum(c) || c == 0x2D || c == 0x5F || c == 0x2E) {
            let shown = c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "a non-ASCII character"
            return "holds \(shown); label values use only letters, digits, '-', '_' and '.'"
        }
        guard let first = value.utf8.first, let last = value.utf8.last, isAlnum(first), isAlnum(last) else {
            return "must start and end with a letter or digit"
        }
        return nil
    }
}
