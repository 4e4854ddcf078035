import ArgumentParser
import Foundation
import Protoo
import ProtooReplay
import ProtooTrace

/// `replay --minimize`: the smallest trace whose replay still diverges the same way.
extension Replay {
    /// Minimises the trace's divergence and exits 1; returns when the replay does not diverge
    /// (the caller then replays as usual, so the verdict, 0 or 2, is the plain replay's).
    func minimizeTrace(options: ReplayOptions, app factory: @escaping ProtooAppFactory) throws {
        guard paths.count == 1 else { couldNotRun("--minimize takes one trace file: join a rotated recording first with protoo trace cut") }
        let minimizer = TraceMinimizer(options: options, budget: minimizeBudget.duration, app: factory)
        let result: TraceMinimizer.Result?
        do {
            result = try minimizer.minimize(path: paths[0])
        } catch {
            couldNotRun("\(error)")
        }
        guard let result else {
            writeToStandardError("protoo replay: the replay did not diverge: nothing to minimise; the replay's report follows\n")
            return
        }
        let path = output ?? Simulate.freePath(Self.stem(of: paths[0]) + "-min", "ptrace.zst")
        do {
            try result.write(to: path)
        } catch {
            couldNotRun("cannot write \(path): \(error)")
        }
        // The file is what the user reruns: check it diverges the same way.
        let check = try? Replayer(path: path, options: minimizer.options, app: factory).run()
        let again = check?.divergences.min { ($0.time, $0.connection) < ($1.time, $1.connection) }
        let same = again.map { TraceMinimizer.Signature($0) == TraceMinimizer.Signature(result.originalDivergence) } ?? false
        if json {
            var o = JSONObject()
            o["trace"] = .string(paths[0])
            o["output"] = .string(path)
            o["records"] = ["before": JSONValue(result.originalRecords), "after": JSONValue(result.records.count)]
            o["connections"] = ["before": JSONValue(result.originalConnections), "after": JSONValue(result.connections)]
            o["clientMessages"] = ["before": JSONValue(result.originalClientMessages), "after": JSONValue(result.clientMessages)]
            o["signature"] = .string(TraceMinimizer.Signature(result.divergence).description)
            o["divergence"] = result.divergence.json
            o["originalDivergence"] = result.originalDivergence.json
            o["runs"] = JSONValue(result.runs)
            o["searchSeconds"] = .double(Double(result.searchTime.nanoseconds) / 1e9)
            o["budgetExhausted"] = .bool(result.budgetExhausted)
            o["verified"] = .bool(same)
            print(JSONValue.object(o).description)
        } else {
            print("""
                minimised in \(String(format: "%.1f s", Double(result.searchTime.nanoseconds) / 1e9)) (\(result.runs) replays\(result.budgetExhausted ? ", budget spent: best found so far" : "")): \
                the replay still diverges the same way (\(TraceMinimizer.Signature(result.divergence)))
                  records          \(result.originalRecords) → \(result.records.count)
                  connections      \(result.originalConnections) → \(result.connections)
                  client messages  \(result.originalClientMessages) → \(result.clientMessages)
                  wrote            \(path) (rerun: \(CommandRegistry.current.commandName) replay \(path) --app \(app))

                \(result.divergence)
                """)
        }
        if !same {
            writeToStandardError("protoo replay: warning: the written trace's replay does not diverge the same way (\(again.map { TraceMinimizer.Signature($0).description } ?? "no divergence"))\n")
        }
        throw ExitCode(1)
    }

    /// `session` for `dir/session.ptrace.zst`.
    static func stem(of path: String) -> String {
        for suffix in [".ptrace.zst", ".ptrace", ".jsonl"] where path.hasSuffix(suffix) { return String(path.dropLast(suffix.count)) }
        return path
    }
}
