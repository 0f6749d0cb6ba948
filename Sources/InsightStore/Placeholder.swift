// InsightStore: being written.
enum InsightStorePlaceholder {}
