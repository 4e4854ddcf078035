/// Constants of the binary trace format (see docs/trace-format.md).
enum TraceFormat {
    /// zstd skippable-frame magics used for the trace's own metadata (0x184D2A5?).
    static let headerMagic: UInt32 = 0x184D_2A50
    static let indexMagic: UInt32 = 0x184D_2A51
    static let trailerMagic: UInt32 = 0x184D_2A52
    static let footerMagic: UInt32 = 0x184D_2A53
    /// The magic of a regular zstd frame.
    static let zstdMagic: UInt32 = 0xFD2F_B528
    static let zstdMagicBytes: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    /// Tags at the start of each metadata payload.
    static let headerTag: [UInt8] = Array("PTRC".utf8)
    static let indexTag: [UInt8] = Array("PTIX".utf8)
    static let trailerTag: [UInt8] = Array("PTTL".utf8)
    static let footerTag: [UInt8] = Array("PTFT".utf8)

    /// A record block inside the decompressed stream: tag, body length, record count,
    /// body CRC-32C, header CRC-32C (over the 13 bytes before it).
    static let blockTag: UInt8 = 0xB7
    static let blockHeaderSize = 17
    /// Skippable frame header: magic + payload size.
    static let frameHeaderSize = 8
    static let indexPayloadSize = 4 + 8 * 5 + 4
    static let footerPayloadSize = 8 + 4 + 4
    static let footerSize = frameHeaderSize + footerPayloadSize
    /// Largest block body a reader accepts (guards against absurd lengths).
    static let maximumBlockBody = 1 << 30
}
