import Testing
import Protoo
@testable import ProtooSimulator

/// The event log's history (what a failure report shows) and its byte and string entry points.
@Suite struct EventLogTests {
    @Test func historyKeepsTheLastEventsOldestFirst() {
        let log = EventLog(history: 4)
        #expect(log.lastEvents.isEmpty)
        for i in 0..<3 { log.messageSent(7, at: Instant(nanoseconds: Int64(i)), text: "m\(i)") }
        #expect(log.lastEvents.map(\.text) == ["m0", "m1", "m2"])
        #expect(log.lastEvents.allSatisfy { $0.connection == 7 && $0.description.contains(" #7 out m") })
        for i in 3..<10 { log.messageReceived(8, at: Instant(nanoseconds: Int64(i)), text: "m\(i)") }
        log.note(at: Instant(nanoseconds: 10), "fault: drop #8")
        let events = log.lastEvents
        #expect(events.map(\.time.nanoseconds) == [7, 8, 9, 10])
        #expect(events.map(\.text) == ["m7", "m8", "m9", "fault: drop #8"])
        #expect(events.last?.description.hasSuffix("sim fault: drop #8") == true)
        #expect(events.first?.description.hasSuffix("in  m7") == true)
    }

    @Test func longTextsAreCutInTheHistoryButDigestedWhole() {
        let a = EventLog(history: 2), b = EventLog(history: 2)
        let long = String(repeating: "x", count: EventLog.slotBytes + 100)
        a.messageSent(1, at: .zero, text: long)
        b.messageSent(1, at: .zero, text: long + "y")
        #expect(a.digest != b.digest, "the digest covers every byte")
        #expect(a.lastEvents.first?.text == String(repeating: "x", count: EventLog.slotBytes))
    }

    @Test func bytesAndStringsAreTheSameEvent() {
        let a = EventLog(), b = EventLog()
        let texts = [#"{"notification":true,"method":"x","data":{}}"#, #"{"request":true,"id":1,"method":"é","data":{}}"#, #"{"response":true,"id":1,"ok":true,"data":{}}"#, "not json"]
        for (i, t) in texts.enumerated() {
            let at = Instant(nanoseconds: Int64(i))
            a.messageSent(3, at: at, text: t)
            a.messageReceived(3, at: at, text: t)
            var copy = t
            copy.withUTF8 { bytes in
                b.messageSent(3, at: at, utf8: UnsafeRawBufferPointer(bytes))
                b.messageReceived(3, at: at, utf8: UnsafeRawBufferPointer(bytes))
            }
        }
        #expect(a.digest == b.digest)
        #expect(a.counters == b.counters)
        #expect(a.counters.notificationsOut == 1 && a.counters.requestsIn == 1 && a.counters.responsesOut == 1)
        #expect(a.lastEvents.map(\.description) == b.lastEvents.map(\.description))
    }
}
