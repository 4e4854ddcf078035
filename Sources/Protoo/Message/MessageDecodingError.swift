/// Why a frame is not a protoo message. protoo drops such frames silently; we log the reason.
public struct MessageDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, with its details (the library's own code switches on it).
    package enum Kind: Sendable, Hashable {
        case invalidJSON(JSONParseError)
        /// Valid JSON, but not an object (array, string, number, `null`, …).
        case notAnObject
        /// None of `request`, `response`, `notification` is truthy.
        case unknownKind
        /// A request or notification whose `method` is not a string.
        case invalidMethod
        /// A request or response whose `id` is not a number.
        case invalidID
        /// A number `id` that is not an integer: protoo never sends one and this engine does not track it.
        case nonIntegerID
    }

    /// Which error this is: compare with `==` (new codes may be added in a minor release, so
    /// never switch on it exhaustively).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let invalidJSON = Code("invalidJSON")
        public static let notAnObject = Code("notAnObject")
        public static let unknownKind = Code("unknownKind")
        public static let invalidMethod = Code("invalidMethod")
        public static let invalidID = Code("invalidID")
        public static let nonIntegerID = Code("nonIntegerID")
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// Which error this is (see ``Code``).
    public var errorCode: Code {
        switch kind {
        case .invalidJSON: return .invalidJSON
        case .notAnObject: return .notAnObject
        case .unknownKind: return .unknownKind
        case .invalidMethod: return .invalidMethod
        case .invalidID: return .invalidID
        case .nonIntegerID: return .nonIntegerID
        }
    }

    public static func invalidJSON(_ value0: JSONParseError) -> MessageDecodingError { MessageDecodingError(.invalidJSON(value0)) }
    /// Valid JSON, but not an object (array, string, number, `null`, …).
    public static let notAnObject = MessageDecodingError(.notAnObject)
    /// None of `request`, `response`, `notification` is truthy.
    public static let unknownKind = MessageDecodingError(.unknownKind)
    /// A request or notification whose `method` is not a string.
    public static let invalidMethod = MessageDecodingError(.invalidMethod)
    /// A request or response whose `id` is not a number.
    public static let invalidID = MessageDecodingError(.invalidID)
    /// A number `id` that is not an integer: protoo never sends one and this engine does not track it.
    public static let nonIntegerID = MessageDecodingError(.nonIntegerID)

    public var description: String {
        switch kind {
        case .invalidJSON(let e): return "not JSON (\(e))"
        case .notAnObject: return "not a JSON object"
        case .unknownKind: return "missing request/response/notification field"
        case .invalidMethod: return "missing or non-string method"
        case .invalidID: return "missing or non-number id"
        case .nonIntegerID: return "id is not an integer"
        }
    }
}
