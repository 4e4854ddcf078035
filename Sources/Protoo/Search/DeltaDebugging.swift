/// Zeller's ddmin: a smallest-found sublist of `items` for which `fails` still holds, trying
/// chunks and their complements at growing granularity (`fails(items)` is assumed). Stops early
/// when `fails` says to (it returns `nil`: out of budget); the result always fails.
package enum DeltaDebugging {
    package static func minimize<T>(_ items: [T], tryEmpty: Bool = false, _ fails: ([T]) -> Bool?) -> [T] {
        var current = items
        if tryEmpty, !current.isEmpty {
            guard let failed = fails([]) else { return current }
            if failed { return [] }
        }
        var granularity = 2
        while current.count >= 2 {
            let chunks = split(current, into: min(granularity, current.count))
            var reduced = false
            // Each chunk alone, then each complement.
            for chunk in chunks {
                guard let failed = fails(chunk) else { return current }
                if failed {
                    current = chunk
                    granularity = 2
                    reduced = true
                    break
                }
            }
            if !reduced, chunks.count > 2 {
                for index in chunks.indices {
                    let complement = chunks.enumerated().filter { $0.offset != index }.flatMap(\.element)
                    guard let failed = fails(complement) else { return current }
                    if failed {
                        current = complement
                        granularity = max(granularity - 1, 2)
                        reduced = true
                        break
                    }
                }
            }
            if !reduced {
                guard granularity < current.count else { break }
                granularity = min(granularity * 2, current.count)
            }
        }
        if current.count == 1, tryEmpty {
            if fails([]) == true { return [] }
        }
        return current
    }

    /// `items` in `count` chunks of nearly equal size, in order.
    package static func split<T>(_ items: [T], into count: Int) -> [[T]] {
        let size = items.count / count, extra = items.count % count
        var chunks: [[T]] = [], start = 0
        for index in 0..<count {
            let length = size + (index < extra ? 1 : 0)
            chunks.append(Array(items[start..<(start + length)]))
            start += length
        }
        return chunks
    }
}
