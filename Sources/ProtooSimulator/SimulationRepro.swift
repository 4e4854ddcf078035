import Foundation
import Protoo

/// A self-contained, minimised failing run: the scenario's name, the whole configuration with
/// its clients, its explicit fault schedule and its clients' step limits, the seed, and the
/// invariant it breaks. `protoo simulate --minimize -o repro.json` writes one; rerun it with
/// `protoo simulate --repro repro.json`, or keep it as a regression test:
///
/// ```swift
/// let repro = try SimulationRepro(contentsOf: URL(filePath: "Tests/Repros/ghost.json"))
/// #expect(throws: Never.self) { try Simulation(repro: repro, scenario: chat).run() }  // once fixed
/// ```
public struct SimulationRepro: Sendable {
    /// The run (``SimulationConfiguration/population``, ``SimulationConfiguration/faultSchedule``
    /// and ``SimulationConfiguration/stepLimits`` set).
    public var configuration: SimulationConfiguration
    /// The name of the invariant the run breaks (``SimulationFailure/name``).
    public var invariant: String
    /// What the failure said when the file was written.
    public var failure: String?
    /// Events the scheduler ran up to the break when the file was written.
    public var events: Int?

    /// A repro of `configuration`, which breaks `invariant`.
    public init(configuration: SimulationConfiguration, invariant: String, failure: String? = nil, events: Int? = nil) {
        var configuration = configuration
        if configuration.faultSchedule == nil { configuration.faultSchedule = FaultPlan.schedule(for: configuration) }
        if configuration.population == nil { configuration.population = configuration.clientKeys }
        configuration.script = []
        self.configuration = configuration
        self.invariant = invariant
        self.failure = failure
        self.events = events
    }

    /// Reads a repro file.
    /// - Throws: ``SimulationReproError`` when the file cannot be read or is not a repro.
    public init(contentsOf url: URL) throws(SimulationReproError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SimulationReproError(.unreadable, "cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(json: data)
    }

    /// Decodes a repro from its JSON.
    /// - Throws: ``SimulationReproError/Code/invalid`` naming what is wrong.
    public init(json: Data) throws(SimulationReproError) {
        let file: ReproFile
        do { file = try JSONDecoder().decode(ReproFile.self, from: json) } catch {
            throw SimulationReproError(.invalid, "not a simulation repro file: \(error)")
        }
        self = try file.repro()
    }

    /// The repro as pretty-printed JSON with sorted keys (the same run gives the same bytes).
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and arrays cannot fail.
        return (try? encoder.encode(ReproFile(self))) ?? Data()
    }

    /// Writes ``json()`` to `url`; never over an existing file unless `overwrite`.
    /// - Throws: ``SimulationReproError/Code/exists`` or ``SimulationReproError/Code/unwritable``.
    public func write(to url: URL, overwrite: Bool = false) throws(SimulationReproError) {
        if !overwrite, FileManager.default.fileExists(atPath: url.path) {
            throw SimulationReproError(.exists, "\(url.path) exists: choose another path (nothing is written over a file)")
        }
        do { try json().write(to: url, options: .atomic) } catch {
            throw SimulationReproError(.unwritable, "cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}

/// A repro file that could not be read, decoded or written.
public struct SimulationReproError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Kind: String { case unreadable, invalid, exists, unwritable }
        let kind: Kind
        /// The file could not be read.
        public static let unreadable = Code(kind: .unreadable)
        /// The file is not a repro (or names something this version does not know).
        public static let invalid = Code(kind: .invalid)
        /// The path to write to exists already.
        public static let exists = Code(kind: .exists)
        /// The file could not be written.
        public static let unwritable = Code(kind: .unwritable)
        public var description: String { kind.rawValue }
    }

    /// What went wrong.
    public var errorCode: Code
    /// The details, and what to do.
    public var message: String

    init(_ code: Code, _ message: String) {
        errorCode = code
        self.message = message
    }

    public var description: String { message }
}

extension Simulation {
    /// The run `repro` describes, of `scenario` (the one named by the repro's
    /// ``SimulationConfiguration/scenario``): same events, same digest, every time.
    public convenience init(repro: SimulationRepro, scenario: SimulationScenario,
                            tap: (any TrafficTap)? = nil) {
        self.init(repro.configuration, scenario: scenario, tap: tap)
    }
}
