import ArgumentParser
import Foundation
import Protoo
import ProtooLoad
import ProtooScenarioLoad
import ProtooVerdict

/// `protoo report merge`: the `--json` results of a partitioned run, combined into what the whole
/// run prints.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with the --json results of runs split over machines.",
        subcommands: [Merge.self])

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Combine the --json results of every partition (--partition I/N) into what the whole run prints.",
            discussion: """
                Swarms (simulate --seeds A..B --partition I/N --json): the seeds' results in seed order, the \
                same object the whole swarm prints; exit 1 when a seed failed.
                Loads (load URL --peers P --partition I/N --json): counts added, latency histograms merged \
                (percentiles are never averaged), connect times pooled, thresholds judged again on the \
                merged figures; the verdict's exit code. Trace loads (load URL --trace T --copies C \
                --partition I/N --json): the same, divergences in copy order and grouped again. Scenario loads \
                (load URL --scenario S --partition I/N --json, each its own rooms, the same seed): counts, \
                faults and invariant checks and breaks added, histograms merged, thresholds judged again.
                Every partition 0..N-1 must be there exactly once, from the same run (exit 2 otherwise).
                """)

        @Argument(help: "The partitions' --json outputs, one file each (any order).") var files: [String]
        @Flag(help: "Print one JSON object instead of the summary.") var json = false
        @Flag(name: .customLong("allow-empty"), help: "A load that measured nothing is not 'could not run'.") var allowEmpty = false

        func run() throws {
            guard !files.isEmpty else { fail("give the partitions' --json files") }
            var objects: [(path: String, data: Data, value: JSONValue)] = []
            for path in files {
                guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
                guard let value = try? JSONParser.parse(String(decoding: data, as: UTF8.self)), value.objectValue != nil else {
                    fail("\(path) is not one JSON object (the --json output of simulate --seeds or load, with --partition)")
                }
                objects.append((path, data, value))
            }
            if objects.allSatisfy({ $0.value["seeds"] != nil }) { return try mergeSwarm(objects.map { ($0.path, $0.data) }) }
            if objects.allSatisfy({ $0.value["invariantBreaks"] != nil }) { return try mergeScenarioLoad(objects.map { ($0.path, $0.value) }) }
            if objects.allSatisfy({ $0.value["connectionsPerCopy"] != nil }) { return try mergeTraceLoad(objects.map { ($0.path, $0.value) }) }
            if objects.allSatisfy({ $0.value["issued"] != nil }) { return try mergeLoad(objects.map { ($0.path, $0.value) }) }
            fail("the files are not all swarm results (simulate --seeds … --json), all load results (load … --json), all trace-load results (load --trace … --json) or all scenario-load results (load --scenario … --json)")
        }

        /// Prints the merged load's `--json` object or its summary; exits with the verdict's code unless it passed.
        private func printVerdict(_ outcome: Verdict, json object: @autoclosure () throws -> JSONValue, text: @autoclosure () -> String) throws {
            print(json ? JSONWriter.string(try object()) : text())
            if outcome != .passed { throw ExitCode(outcome.exitCode) }
        }

        /// The partitions' thresholds, evaluated again on the merged measurements.
        private func judgedAgain(_ expressions: [String]?, on measurements: Measurements) -> [ThresholdResult] {
            (expressions ?? []).map { expression in
                guard let threshold = try? Threshold(expression) else { fail("threshold '\(expression)' does not parse") }
                return threshold.evaluate(measurements)
            }
        }

        private func fail(_ message: String) -> Never {
            writeToStandardError("protoo report merge: \(message)\n")
            Foundation.exit(Verdict.couldNotRun.exitCode)
        }

        /// Checks that `partitions` (`I/N` texts, one per file) are 0..N-1 exactly once.
        private func checkComplete(_ partitions: [(path: String, partition: String?)]) -> Int {
            var indices: [Int] = [], count: Int?
            for (path, text) in partitions {
                guard let text, let p = PartitionArgument(argument: text), text.contains("/") else {
                    fail("\(path) is not a partition's result (no \"partition\": run it with --partition I/N)")
                }
                if let count, count != p.count { fail("\(path) is partition \(text), others are of \(count)") }
                count = p.count
                indices.append(p.index)
            }
            let n = count ?? 0
            let missing = (0..<n).filter { !indices.contains($0) }
            guard missing.isEmpty else { fail("partitions missing: \(missing.map { "\($0)/\(n)" }.joined(separator: ", "))") }
            guard indices.count == n else { fail("a partition is given twice (\(indices.sorted().map(String.init).joined(separator: ", ")))") }
            return n
        }

        private func mergeSwarm(_ files: [(path: String, data: Data)]) throws {
            var parts: [(path: String, result: SwarmPartitionJSON)] = []
            for (path, data) in files {
                guard let result = try? JSONDecoder().decode(SwarmPartitionJSON.self, from: data) else {
                    fail("\(path) is not a swarm's --json output")
                }
                parts.append((path, result))
            }
            _ = checkComplete(parts.map { ($0.path, $0.result.partition) })
            let ranges = Set(parts.map { $0.result.range ?? "" })
            guard ranges.count == 1, let rangeText = ranges.first, let range = SeedRange(argument: rangeText) else {
                fail("the partitions are of different seed ranges (\(ranges.sorted().joined(separator: ", ")))")
            }
            let entries = parts.flatMap(\.result.seeds).sorted { (UInt64($0["seed"] ?? "") ?? 0) < (UInt64($1["seed"] ?? "") ?? 0) }
            let seeds = entries.compactMap { $0["seed"].flatMap(UInt64.init) }
            guard seeds == Array(range.range) else {
                fail("the partitions' seeds are not \(rangeText), each once (\(seeds.count) results for \(range.range.count) seeds)")
            }
            let failed = entries.filter { $0["status"] == "failed" }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(["seeds": entries]), as: UTF8.self))
            } else {
                print("swarm: \(entries.count) seeds, \(failed.count) failed")
                for entry in failed {
                    print("seed \(entry["seed"] ?? "?"): \(entry["invariant"] ?? "?")\n  reproduce: \(entry["reproduce"] ?? "?")")
                    if let repro = entry["repro"] { print("  minimal: \(entry["minimal"] ?? "")\n  repro: \(repro)") }
                }
            }
            if !failed.isEmpty { throw ExitCode(1) }
        }

        private func mergeLoad(_ files: [(path: String, value: JSONValue)]) throws {
            _ = checkComplete(files.map { ($0.path, $0.value["partition"]?.stringValue) })
            var merged: LoadReport?
            var measurements = Measurements()
            var connectTimes: [Double] = []
            var expressions: [String]?
            for (path, value) in files {
                let text = JSONWriter.string(value)
                guard var report = try? JSONDecoder().decode(LoadReport.self, from: Data(text.utf8)),
                      let measured = value["measurements"].flatMap({ try? JSONDecoder().decode(Measurements.self, from: Data(JSONWriter.string($0).utf8)) }),
                      let times = value["connectTimesMilliseconds"]?.arrayValue
                else { fail("\(path) is not a load partition's --json output (measurements and connect times missing)") }
                let thresholds = (value["thresholds"]?.arrayValue ?? []).compactMap { $0["threshold"]?.stringValue }
                if let expressions, expressions != thresholds { fail("\(path) was judged by other thresholds (\(thresholds.joined(separator: ", ")))") }
                expressions = thresholds
                measurements.merge(measured)
                connectTimes += times.compactMap(\.doubleValue)
                guard var whole = merged else {
                    merged = report
                    continue
                }
                guard whole.url == report.url, whole.method == report.method, whole.mode == report.mode else {
                    fail("\(path) is a load of another server or method (\(report.url) \(report.method))")
                }
                whole.rate = whole.rate.map { $0 + (report.rate ?? 0) }
                whole.peersRequested += report.peersRequested
                whole.peersConnected += report.peersConnected
                whole.elapsedSeconds = max(whole.elapsedSeconds, report.elapsedSeconds)
                whole.issued += report.issued
                whole.completed += report.completed
                whole.errors.merge(report.errors, uniquingKeysWith: +)
                whole.droppedArrivals += report.droppedArrivals
                whole.unfinished += report.unfinished
                report = whole
                merged = report
            }
            guard var report = merged else { fail("no load results") }
            connectTimes.sort()
            report.connectTimeP50Milliseconds = connectTimes.isEmpty ? 0 : connectTimes[(connectTimes.count - 1) / 2]
            report.connectTimeMaxMilliseconds = connectTimes.last ?? 0
            let finished = report.completed + report.errorCount
            report.requestsPerSecond = report.elapsedSeconds > 0 ? Double(finished) / report.elapsedSeconds : 0
            report.latency = LoadReport.Latency(measurements.latency[report.method] ?? Measurements.emptyHistogram())
            report.measurements = measurements
            let thresholds = judgedAgain(expressions, on: measurements)
            let (outcome, reason) = Load.judge(report, thresholds: thresholds, allowEmpty: allowEmpty)
            try printVerdict(outcome, json: Load.jsonObject(report, thresholds: thresholds, outcome: outcome, reason: reason),
                             text: Load.text(report, thresholds: thresholds, outcome: outcome, reason: reason))
        }

        /// `load --scenario` partitions (each its own rooms, the same seed): the reports merged
        /// (``ScenarioLoadReport/merged(_:)``), thresholds judged again on the merged histograms.
        private func mergeScenarioLoad(_ files: [(path: String, value: JSONValue)]) throws {
            _ = checkComplete(files.map { ($0.path, $0.value["partition"]?.stringValue) })
            var parts: [ScenarioLoadReport] = []
            var expressions: [String]?
            for (path, value) in files {
                guard var report = try? JSONDecoder().decode(ScenarioLoadReport.self, from: Data(JSONWriter.string(value).utf8)),
                      let measured = value["measurements"].flatMap({ try? JSONDecoder().decode(Measurements.self, from: Data(JSONWriter.string($0).utf8)) })
                else { fail("\(path) is not a scenario-load partition's --json output (run with --partition: measurements missing)") }
                let thresholds = (value["thresholds"]?.arrayValue ?? []).compactMap { $0["threshold"]?.stringValue }
                if let expressions, expressions != thresholds { fail("\(path) was judged by other thresholds (\(thresholds.joined(separator: ", ")))") }
                expressions = thresholds
                report.measurements = measured
                parts.append(report)
            }
            let report: ScenarioLoadReport
            do { report = try ScenarioLoadReport.merged(parts) } catch { fail(error.description) }
            let thresholds = judgedAgain(expressions, on: report.measurements)
            let (outcome, reason) = Load.judge(report, thresholds: thresholds, allowEmpty: allowEmpty)
            try printVerdict(outcome, json: Load.jsonObject(report, thresholds: thresholds, outcome: outcome, reason: reason),
                             text: Load.text(report, thresholds: thresholds, outcome: outcome, reason: reason))
        }

        /// `load --trace` partitions: counts added, measurements merged (methods and thresholds
        /// from them), divergences in copy order and grouped again, the verdict judged again.
        private func mergeTraceLoad(_ files: [(path: String, value: JSONValue)]) throws {
            _ = checkComplete(files.map { ($0.path, $0.value["partition"]?.stringValue) })
            var measurements = Measurements()
            var sums: [String: Int] = [:], dicts: [String: [String: Int]] = [:]
            var divergences: [JSONValue] = [], expressions: [String]?, wall = 0.0, interrupted = false
            let first = files[0].value
            for (path, value) in files {
                guard let measured = value["measurements"].flatMap({ try? JSONDecoder().decode(Measurements.self, from: Data(JSONWriter.string($0).utf8)) })
                else { fail("\(path) is not a trace-load partition's --json output (measurements missing)") }
                guard value["target"] == first["target"], value["connectionsPerCopy"] == first["connectionsPerCopy"],
                      value["durationSeconds"] == first["durationSeconds"] else {
                    fail("\(path) is a load of another recording, target or duration")
                }
                let thresholds = (value["thresholds"]?.arrayValue ?? []).compactMap { $0["threshold"]?.stringValue }
                if let expressions, expressions != thresholds { fail("\(path) was judged by other thresholds") }
                expressions = thresholds
                measurements.merge(measured)
                for key in ["copies", "passes", "passesCut", "connectionsOpened", "messagesSent", "messagesReceived", "outputsCompared", "copiesDiverged"] {
                    sums[key, default: 0] += value[key]?.intValue ?? 0
                }
                for key in ["notCompared", "errors", "recordedErrors"] {
                    for member in value[key]?.objectValue ?? JSONObject() {
                        dicts[key, default: [:]][member.key, default: 0] += member.value.intValue ?? 0
                    }
                }
                divergences += value["divergences"]?.arrayValue ?? []
                wall = max(wall, value["wallSeconds"]?.doubleValue ?? 0)
                interrupted = interrupted || value["interrupted"] == true
            }
            // The whole load lists them by copy, then pass (copies are numbered across partitions).
            divergences = divergences.enumerated().sorted {
                let a = ($0.element["copy"]?.intValue ?? 0, $0.element["pass"]?.intValue ?? 0, $0.offset)
                let b = ($1.element["copy"]?.intValue ?? 0, $1.element["pass"]?.intValue ?? 0, $1.offset)
                return a < b
            }.map(\.element)
            let thresholds = judgedAgain(expressions, on: measurements)
            var couldNotRun: String?
            if sums["connectionsOpened", default: 0] == 0, !allowEmpty {
                couldNotRun = "no connection opened"
            } else if sums["outputsCompared", default: 0] == 0, !allowEmpty {
                couldNotRun = "nothing compared: no recorded server event was reached (--allow-empty accepts that)"
            }
            let (outcome, reason) = VerdictRules.judge(couldNotRun: couldNotRun, divergences: divergences.count, errors: 0, thresholds: thresholds)
            var o = JSONObject()
            o["passed"] = .bool(outcome == .passed)
            o["verdict"] = .string(outcome.name)
            o["exitCode"] = JSONValue(Int(outcome.exitCode))
            o["reason"] = .string(reason)
            o["target"] = first["target"] ?? .null
            o["copies"] = JSONValue(sums["copies", default: 0])
            o["connectionsPerCopy"] = first["connectionsPerCopy"] ?? .null
            o["passes"] = JSONValue(sums["passes", default: 0])
            o["passesCut"] = JSONValue(sums["passesCut", default: 0])
            o["durationSeconds"] = first["durationSeconds"] ?? .null
            o["rampUpSeconds"] = first["rampUpSeconds"] ?? .null
            for key in ["connectionsOpened", "messagesSent", "messagesReceived", "outputsCompared"] { o[key] = JSONValue(sums[key, default: 0]) }
            o["notCompared"] = Self.object(dicts["notCompared"] ?? [:])
            o["wallSeconds"] = .double(wall)
            o["interrupted"] = .bool(interrupted)
            o["requests"] = JSONValue(measurements.requests.values.reduce(0, +))
            o["methods"] = .array(MethodSummary.all(measurements).map(\.json))
            o["errors"] = Self.object(dicts["errors"] ?? [:])
            o["recordedErrors"] = Self.object(dicts["recordedErrors"] ?? [:])
            o["divergenceCount"] = JSONValue(divergences.count)
            o["copiesDiverged"] = JSONValue(sums["copiesDiverged", default: 0])
            o["divergenceGroups"] = .array(Self.groups(divergences))
            o["divergences"] = .array(divergences)
            o["thresholds"] = .array(thresholds.map(\.json))
            if json {
                print(JSONValue.object(o).description)
            } else {
                print("load from a trace against \(first["target"]?.stringValue ?? "?"): \(outcome) (\(reason)); \(sums["copies", default: 0]) copies, "
                      + "\(sums["connectionsOpened", default: 0]) connections, \(divergences.count) divergences")
                for t in thresholds { print("  \(t)") }
            }
            if outcome != .passed { throw ExitCode(outcome.exitCode) }
        }

        /// Counts as a JSON object, keys sorted.
        static func object(_ counts: [String: Int]) -> JSONValue {
            var o = JSONObject()
            for (key, value) in counts.sorted(by: { $0.key < $1.key }) { o[key] = JSONValue(value) }
            return .object(o)
        }

        /// Divergences grouped by kind, method and first differing path, the largest group first
        /// (ties: the first seen first), as the trace load groups them.
        static func groups(_ divergences: [JSONValue]) -> [JSONValue] {
            var order: [String] = [], groups: [String: (kind: JSONValue, method: JSONValue, path: JSONValue, count: Int)] = [:]
            for d in divergences {
                let path = d["differences"]?[0]?["path"] ?? .null
                let key = "\(d["kind"]?.stringValue ?? "")\u{0}\(d["method"]?.stringValue ?? "")\u{0}\(path.stringValue ?? "")"
                if groups[key] == nil {
                    order.append(key)
                    groups[key] = (d["kind"] ?? .null, d["method"] ?? .null, path, 0)
                }
                groups[key]?.count += 1
            }
            return order.enumerated().compactMap { index, key in groups[key].map { (index, $0) } }
                .sorted { ($0.1.count, -$0.0) > ($1.1.count, -$1.0) }
                .map { ["kind": $0.1.kind, "method": $0.1.method, "path": $0.1.path, "count": JSONValue($0.1.count)] }
        }
    }
}
