/// Sorting by the UTF-8 bytes of string keys: the order of SQLite's BINARY collation, so rows sorted this
/// way go into a text-keyed index as appends. Several times faster than `sorted()` on large arrays of
/// records with string keys: it compares bytes eight at a time, and it sorts positions rather than
/// moving whole records (each move retains and releases every string in a record).
public enum ByteOrder {
    /// Negative, zero or positive as `a`'s bytes sort before, equal to or after `b`'s.
    public static func compare(_ a: String, _ b: String) -> Int {
        if let result = a.utf8.withContiguousStorageIfAvailable({ pa in
            b.utf8.withContiguousStorageIfAvailable { pb in compare(UnsafeRawBufferPointer(pa), UnsafeRawBufferPointer(pb)) }
        }), let result {
            return result
        }
        // Strings not stored contiguously (bridged ones): compare byte by byte.
        for (x, y) in zip(a.utf8, b.utf8) where x != y { return x < y ? -1 : 1 }
        return a.utf8.count - b.utf8.count
    }

    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = min(a.count, b.count)
        var offset = 0
        while offset + 8 <= common {
            // Big-endian words compare like their bytes.
            let x = a.loadUnaligned(fromByteOffset: offset, as: UInt64.self).bigEndian
            let y = b.loadUnaligned(fromByteOffset: offset, as: UInt64.self).bigEndian
            if x != y { return x < y ? -1 : 1 }
            offset += 8
        }
        while offset < common {
            let x = a[offset], y = b[offset]
            if x != y { return x < y ? -1 : 1 }
            offset += 1
        }
        return a.count - b.count
    }

    /// `items` in ascending byte order of `key`, then of `then` (ties keep their order).
    public static func sorted<Item>(_ items: [Item], by key: (Item) -> String, then: ((Item) -> String)? = nil) -> [Item] {
        // Every key's bytes in one buffer: comparing them then touches no string (and so retains none).
        let first = Keys(items.lazy.map(key))
        let second = then.map { Keys(items.lazy.map($0)) }
        var order = Array(items.indices)
        first.bytes.withUnsafeBytes { firstBytes in
            (second?.bytes ?? []).withUnsafeBytes { secondBytes in
                order.sort { i, j in
                    let c = compare(first.key(i, in: firstBytes), first.key(j, in: firstBytes))
                    if c != 0 { return c < 0 }
                    if let second {
                        let d = compare(second.key(i, in: secondBytes), second.key(j, in: secondBytes))
                        if d != 0 { return d < 0 }
                    }
                    return i < j
                }
            }
        }
        return order.map { items[$0] }
    }

    /// Strings' UTF-8 bytes laid end to end, with where each one starts.
    private struct Keys {
        var bytes: [UInt8] = []
        var starts: [Int] = [0]

        init(_ strings: some Sequence<String>) {
            for string in strings {
                bytes.append(contentsOf: string.utf8)
                starts.append(bytes.count)
            }
        }

        func key(_ index: Int, in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: buffer[starts[index]..<starts[index + 1]])
        }
    }
}
