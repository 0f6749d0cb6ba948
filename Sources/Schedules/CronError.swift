/// Why a cron expression was refused: the field that is wrong and what to write instead.
///
/// `description` is safe to show to the author of the schedule, e.g. `hour: 24 is out of range 0-23`.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field that is wrong: "minute", "hour", "day of month", "month", "day of week", or "" when the
    /// expression as a whole is wrong (the number of fields, an unknown shorthand).
    public var field: String
    /// What is wrong and what to write instead, without the field name.
    public var message: String

    /// An error about `field` ("" for the whole expression).
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `<field>: <message>`, or only the message when the whole expression is wrong.
    public var description: String {
        field.isEmpty ? message : "\(field): \(message)"
    }
}
