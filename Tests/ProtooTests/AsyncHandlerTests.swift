import Foundation
@testable import Protoo
import Testing

/// An app actor that async handlers await (an app-side service).
actor Tally {
    private var count = 0
    func bump() -> Int {
        count += 1
        return count
    }
}

@Suite struct AsyncHandlerTests {
    @Test func asyncHandlersAnswerOnVirtualTimeSeveralAtOnce() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("alice")
        let context = h.context
        server.onRequest { request async throws -> Reply in
            let ms = Int64(request.data["ms"]?.intValue ?? 0)
            try await context.sleep(for: .milliseconds(ms))
            return .accept(["slept": .int(ms), "at": .int(context.now.nanoseconds / 1_000_000)])
        }
        let outcomes = Outcomes()
        client.request("slow", ["ms": 80], completion: outcomes.handler)
        client.request("fast", ["ms": 20], completion: outcomes.handler)
        h.scheduler.run(until: Instant.zero + .milliseconds(50))
        #expect(outcomes.results.count == 1)
        h.scheduler.run(until: Instant.zero + .milliseconds(100))
        let answers = try outcomes.results.map { try $0.get() }
        #expect(answers == [["slept": 20, "at": 20], ["slept": 80, "at": 80]])
        #expect(context.executor.runningTasks.isEmpty)
    }

    @Test func thrownErrorsAnswerAsSynchronousHandlersDo() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("alice")
        server.onRequest { request async throws -> Reply in
            if request.method == "protoo" { throw ProtooError.reject(409, "taken") }
            throw TestError()
        }
        let outcomes = Outcomes()
        client.request("protoo", completion: outcomes.handler)
        client.request("other", completion: outcomes.handler)
        h.settle()
        #expect(outcomes.results.map(\.failureValue) == [.rejected(code: 409, reason: "taken"), .rejected(code: 500, reason: "Error: BOOM!!!")])
    }

    /// Actors, `async let` and task groups all run on the engine's executor: the same order on
    /// every run.
    static func interleaving() throws -> [String] {
        let h = EngineHarness()
        let tally = Tally()
        var log: [String] = []
        var pairs: [(Peer, Peer)] = []
        for name in ["a", "b", "c"] {
            let (server, client, _) = try h.connect(name)
            pairs.append((server, client))
            server.onRequest { request async throws -> Reply in
                async let first = tally.bump()
                let grouped = await withTaskGroup(of: Int.self) { group in
                    for _ in 0..<3 { group.addTask { await tally.bump() } }
                    var all: [Int] = []
                    for await value in group { all.append(value) }
                    return all
                }
                let mine = await first
                log.append("\(name): \(mine) \(grouped)")
                return .accept()
            }
        }
        for (_, client) in pairs { client.request("go") { _ in } }
        h.scheduler.run(until: Instant.zero + .seconds(1))
        return log
    }

    @Test func actorsAsyncLetAndGroupsAreDeterministic() throws {
        let first = try Self.interleaving()
        #expect(first.count == 3)
        for _ in 0..<20 { #expect(try Self.interleaving() == first) }
    }

    @Test func handlersAwaitServerRequestsToTheirClient() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("alice")
        client.onRequest { request in .accept(["answer": request.data["question"] ?? .null]) }
        server.onRequest { [unowned server] request async throws -> Reply in
            let reply = try await server.request("ask", ["question": "why"])
            do {
                _ = try await server.request("nobody")
                return .reject(code: 599, reason: "should have failed")
            } catch let error as ProtooError {
                return .accept(["reply": reply, "then": .string("\(error)")])
            }
        }
        client.onRequest { request in
            request.method == "ask" ? .accept(["answer": request.data["question"] ?? .null]) : .reject(code: 404, reason: "no")
        }
        let outcomes = Outcomes()
        client.request("start", completion: outcomes.handler)
        h.settle()
        let answer = try #require(try outcomes.results.first?.get())
        #expect(answer["reply"] == ["answer": "why"])
        #expect(answer["then"] == .string("\(ProtooError.rejected(code: 404, reason: "no"))"))
    }

    @Test func anUnstructuredTaskInAHandlerIsReported() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("alice")
        var reports: [NondeterminismReport] = []
        h.context.executor.reportsNondeterminism = true
        h.context.executor.onNondeterminism = { reports.append($0) }
        server.onRequest { request async throws -> Reply in
            Task { _ = 1 + 1 }
            return .accept()
        }
        client.request("join") { _ in }
        h.scheduler.run(until: Instant.zero + .milliseconds(10))
        let report = try #require(reports.first)
        #expect(report.kind == .unstructuredTask)
        #expect(report.task == "request 'join' of peer alice")
        #expect(report.description.contains("request 'join' of peer alice"))
    }

    @Test func taskSleepInAHandlerIsReportedWhenItResumes() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("bob")
        var reports: [NondeterminismReport] = []
        h.context.executor.reportsNondeterminism = true
        h.context.executor.onNondeterminism = { reports.append($0) }
        server.onRequest { request async throws -> Reply in
            try await Task.sleep(for: .milliseconds(5))
            return .accept()
        }
        let outcomes = Outcomes()
        client.request("wait", completion: outcomes.handler)
        // Real time passes; the simulation's thread keeps stepping until the job comes back.
        let deadline = ContinuousClock.now + .seconds(5)
        while outcomes.results.isEmpty, ContinuousClock.now < deadline {
            h.scheduler.run(until: h.scheduler.now + .milliseconds(1))
            usleep(1000)
        }
        #expect(outcomes.results.count == 1)
        let report = try #require(reports.first)
        #expect(report.kind == .resumedOffEngine)
        #expect(report.task == "request 'wait' of peer bob")
    }

    @Test func callbacksComeBackFromAnyThread() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("carol")
        let context = h.context
        server.onRequest { request in
            let done = context.callback { (value: Int) in request.accept(["value": .int(Int64(value))]) }
            Thread.detachNewThread { done(42); done(43) }
            return .deferred
        }
        let outcomes = Outcomes()
        client.request("compute", completion: outcomes.handler)
        let deadline = ContinuousClock.now + .seconds(5)
        while outcomes.results.isEmpty, ContinuousClock.now < deadline {
            h.scheduler.run(until: h.scheduler.now + .milliseconds(1))
            usleep(1000)
        }
        #expect(try outcomes.results.map { try $0.get() } == [["value": 42]])
    }

    @Test func settleLetsHandlersFinishThenCancelsTheRest() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("dave")
        let context = h.context
        var cancelled: [String] = []
        server.onRequest { request async throws -> Reply in
            do {
                try await context.sleep(for: .milliseconds(request.data["ms"]?.intValue ?? 0))
            } catch is CancellationError {
                cancelled.append(request.method)
                throw ProtooError.reject(503, "shutting down")
            }
            return .accept()
        }
        let outcomes = Outcomes()
        client.request("quick", ["ms": 500], completion: outcomes.handler)
        client.request("stuck", ["ms": 60_000], completion: outcomes.handler)
        h.settle()
        var unfinished: [EngineTask]?
        context.executor.settle(within: .seconds(1)) { unfinished = $0 }
        h.scheduler.run(until: Instant.zero + .seconds(3))
        #expect(unfinished?.isEmpty == true)
        #expect(cancelled == ["stuck"])
        #expect(outcomes.results.map(\.failureValue) == [nil, .rejected(code: 503, reason: "shutting down")])
    }
}

extension Result where Failure == ProtooError {
    var failureValue: ProtooError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
