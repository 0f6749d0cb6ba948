@testable import InsightStore
import Testing

/// The in-memory index of recent applications: every pair kept through growth, several numbers under one hash.
struct AppHashIndexTests {
    @Test func keepsEveryPairThroughGrowthAndCollisions() {
        var index = AppHashIndex()
        for seq in 1...50_000 as ClosedRange<Int64> {
            // Every 1,000th number shares the hash 7: a crafted collision is a candidate list, not a lost entry.
            index.insert(hash: seq % 1_000 == 0 ? 7 : seq &* 0x5851_F42D_4C95_7F2D, seq: seq)
        }
        #expect(index.count == 50_000)
        #expect(index.contains(7))
        #expect(index.seqs(for: 7).sorted() == (1...50).map { Int64($0) * 1_000 })
        #expect(index.seqs(for: 3 &* 0x5851_F42D_4C95_7F2D) == [3])
        #expect(!index.contains(-1))
        var seen = 0
        index.forEach { _, _ in seen += 1 }
        #expect(seen == 50_000)
    }
}
