/// The engine tasks in flight: a slot table (no hashing per task), each task found by a handle
/// that packs its slot and its start number, so a stale handle finds nothing.
struct EngineTaskTable {
    private var slots: [EngineTaskRecord?] = []
    private var free: [Int] = []
    private(set) var count = 0
    private var started = 0

    private static let slotBits = 24

    var isEmpty: Bool { count == 0 }

    /// Registers a task; returns its handle (increasing with the start order).
    mutating func insert(_ make: (_ handle: Int) -> EngineTaskRecord) -> Int {
        started += 1
        let slot: Int
        if let reused = free.popLast() { slot = reused } else { slot = slots.count; slots.append(nil) }
        let handle = started << Self.slotBits | slot
        slots[slot] = make(handle)
        count += 1
        return handle
    }

    private func slot(of handle: Int) -> Int? {
        let slot = handle & (1 << Self.slotBits - 1)
        guard slot < slots.count, let record = slots[slot], record.handle == handle else { return nil }
        return slot
    }

    subscript(handle: Int) -> EngineTaskRecord? {
        get { slot(of: handle).flatMap { slots[$0] } }
    }

    mutating func setTask(_ task: Task<Void, Never>, for handle: Int) {
        guard let slot = slot(of: handle) else { return }
        slots[slot]?.task = task
    }

    mutating func setInfo(_ info: EngineTask, for handle: Int) {
        guard let slot = slot(of: handle) else { return }
        slots[slot]?.info = info
    }

    mutating func remove(_ handle: Int) {
        guard let slot = slot(of: handle) else { return }
        slots[slot] = nil
        free.append(slot)
        count -= 1
    }

    /// Every record, in start order.
    var inStartOrder: [EngineTaskRecord] { slots.compactMap { $0 }.sorted { $0.handle < $1.handle } }
}
