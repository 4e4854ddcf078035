import Foundation
import Protoo

/// A client invariant that broke during a scenario load: which, where, when, and what the
/// client had just sent and received.
public struct InvariantBreak: Sendable, Codable, Hashable, CustomStringConvertible {
    /// The invariant's name (`response-to-unknown-request`, a scenario's ``clientInvariant`` name, …).
    public var invariant: String
    /// The client's key (`room-3/2`), empty when no single client is to blame.
    public var client: String
    /// The client's peer id.
    public var peerId: String
    /// Seconds from the start of the run.
    public var atSeconds: Double
    /// What is wrong.
    public var detail: String
    /// The client's last messages, oldest first (`12.345s → {…}`: → sent, ← received, × closed),
    /// client-supplied text escaped.
    public var lastMessages: [String]

    /// The break as a report prints it: the invariant, the client, the time, what is wrong
    /// (escaped), then the last messages.
    public var description: String {
        let who = client.isEmpty ? "" : " by client \(peerId) (\(client))"
        var lines = ["invariant '\(invariant)' broken\(who) at \(String(format: "%.3f", atSeconds))s: \(LogSafe.text(detail))"]
        if !lastMessages.isEmpty {
            lines.append("  last messages:")
            lines += lastMessages.map { "    \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
