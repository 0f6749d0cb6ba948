/// The applications stored since the derived tables were last written, as (id hash, number) pairs: 16 bytes a
/// slot in two flat arrays (open addressing, linear probing), and no strings. It tells a new application from a
/// stored one without an index probe per insert, in memory that grows by about 32 bytes per application of
/// the run rather than by its id and cluster (which also scattered long-lived strings over the parsing
/// threads' heaps).
///
/// A hash is only a candidate: FNV-1a collisions can be crafted, so a hash may map to several numbers, and a
/// hit is confirmed against the stored row (`InsightStore.newApps`).
struct AppHashIndex {
    private var hashes: [Int64]
    /// 0 marks an empty slot (numbers start at 1).
    private var seqs: [Int64]
    private(set) var count = 0

    init(minimumCapacity: Int = 0) {
        var slots = 1024
        while slots / 2 < minimumCapacity { slots *= 2 }
        hashes = Array(repeating: 0, count: slots)
        seqs = Array(repeating: 0, count: slots)
    }

    /// Where `hash`'s probe sequence starts: FNV's low bits are weak, so they are mixed first.
    @inline(__always) private func home(_ hash: Int64) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: hash) &* 0x9E37_79B9_7F4A_7C15) >> 20) & (seqs.count - 1)
    }

    mutating func insert(hash: Int64, seq: Int64) {
        precondition(seq > 0, "application numbers start at 1")
        if (count + 1) * 2 > seqs.count { grow() }
        var slot = home(hash)
        while seqs[slot] != 0 { slot = (slot + 1) & (seqs.count - 1) }
        hashes[slot] = hash
        seqs[slot] = seq
        count += 1
    }

    /// Whether any application with this id hash is held (the common answer, no, allocates nothing).
    func contains(_ hash: Int64) -> Bool {
        var slot = home(hash)
        while seqs[slot] != 0 {
            if hashes[slot] == hash { return true }
            slot = (slot + 1) & (seqs.count - 1)
        }
        return false
    }

    /// The numbers of the applications whose ids have this hash.
    func seqs(for hash: Int64) -> [Int64] {
        var found: [Int64] = []
        var slot = home(hash)
        while seqs[slot] != 0 {
            if hashes[slot] == hash { found.append(seqs[slot]) }
            slot = (slot + 1) & (seqs.count - 1)
        }
        return found
    }

    /// Every (hash, number) pair, in no particular order.
    func forEach(_ body: (_ hash: Int64, _ seq: Int64) throws -> Void) rethrows {
        for slot in seqs.indices where seqs[slot] != 0 { try body(hashes[slot], seqs[slot]) }
    }

    private mutating func grow() {
        var bigger = AppHashIndex(minimumCapacity: seqs.count)
        forEach { bigger.insert(hash: $0, seq: $1) }
        self = bigger
    }
}
