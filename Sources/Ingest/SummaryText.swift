extension AppSummary {
    /// The YuniKorn ≥ 1.5 message for this summary, exactly as `ApplicationSummary.DoLogging` writes it
    /// (`fmt.Sprintf("YK_APP_SUMMARY: {%s}", as)`), the shape `YuniKornSummary` reads: nothing quoted, each
    /// tracked resource as `UNKNOWN:<name>=<n>` (the K8s shim sends no instance type since 1.6), in name order
    /// (YuniKorn's is Go map order, i.e. any).
    public var yuniKornMessage: String {
        func tracked(_ values: [String: Int64]) -> String {
            "TrackedResource{" + values.sorted { $0.key < $1.key }.map { "UNKNOWN:\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
        }
        return "YK_APP_SUMMARY: {ApplicationID: \(applicationID), SubmissionTime: \(submissionTime), StartTime: \(startTime), "
            + "FinishTime: \(finishTime), User: \(user), Queue: \(queue), State: \(state), RmID: \(rmID), "
            + "ResourceUsage: \(tracked(usage)), PreemptedResource: \(tracked(preempted)), PlaceholderResource: \(tracked(placeholder))}"
    }
}
