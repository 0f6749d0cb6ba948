// IngestPipeline: being written.
enum IngestPipelinePlaceholder {}
