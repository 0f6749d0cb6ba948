/// Line diffs of two texts in the unified format `diff -u` and `git diff` print, so a deploy shows the change
/// the way a reviewer reads it in `Queues/`.
public enum LineDiff {
    /// One step from the old lines to the new ones.
    enum Edit: Equatable {
        case same(old: Int, new: Int)
        case delete(old: Int)
        case insert(new: Int)
    }

    /// Past this many differing lines (after the common start and end are set aside) the middle is shown as
    /// replaced wholesale: the shortest edit script costs time and memory quadratic in the difference.
    static let maxEditDistance = 4000

    /// The unified diff from `old` to `new` with `context` lines around each change; "" when they are equal.
    public static func unified(from old: String, to new: String, oldLabel: String, newLabel: String,
                               context: Int = 3) -> String {
        let a = lines(old), b = lines(new)
        guard a != b else { return "" }
        let edits = self.edits(a, b)
        var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
        let changed = edits.indices.filter { if case .same = edits[$0] { return false } else { return true } }
        var cursor = 0
        while cursor < changed.count {
            // A hunk runs from `context` before its first change to `context` after its last, swallowing
            // changes whose gaps are at most 2 × context.
            var last = cursor
            while last + 1 < changed.count, changed[last + 1] - changed[last] <= 2 * context + 1 { last += 1 }
            let start = max(0, changed[cursor] - context)
            let end = min(edits.count, changed[last] + context + 1)
            let hunk = edits[start..<end]
            var oldStart = 0, newStart = 0, oldCount = 0, newCount = 0
            // Positions before the hunk's first edit: line numbers count from the lines already passed.
            for edit in edits[..<start] {
                switch edit {
                case .same: oldStart += 1; newStart += 1
                case .delete: oldStart += 1
                case .insert: newStart += 1
                }
            }
            var body = ""
            for edit in hunk {
                switch edit {
                case let .same(i, _): body += " \(a[i])\n"; oldCount += 1; newCount += 1
                case let .delete(i): body += "-\(a[i])\n"; oldCount += 1
                case let .insert(j): body += "+\(b[j])\n"; newCount += 1
                }
            }
            // diff -u numbers an empty range by the line before it.
            out += "@@ -\(oldCount == 0 ? oldStart : oldStart + 1),\(oldCount) "
                + "+\(newCount == 0 ? newStart : newStart + 1),\(newCount) @@\n" + body
            cursor = last + 1
        }
        return out
    }

    /// The lines of a text; a final newline ends the last line rather than starting an empty one.
    static func lines(_ text: String) -> [Substring] {
        if text.isEmpty { return [] }
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.hasSuffix("\n") { parts.removeLast() }
        return parts
    }

    /// A shortest edit script (Myers' O(ND) algorithm) from `a` to `b`, in order.
    static func edits(_ a: [Substring], _ b: [Substring]) -> [Edit] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix,
              a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let middleA = Array(a[prefix..<(a.count - suffix)]), middleB = Array(b[prefix..<(b.count - suffix)])
        var result = (0..<prefix).map { Edit.same(old: $0, new: $0) }
        let middle = myers(middleA, middleB) ?? (middleA.indices.map { Edit.delete(old: $0) }
            + middleB.indices.map { Edit.insert(new: $0) })
        for edit in middle {
            switch edit {
            case let .same(i, j): result.append(.same(old: i + prefix, new: j + prefix))
            case let .delete(i): result.append(.delete(old: i + prefix))
            case let .insert(j): result.append(.insert(new: j + prefix))
            }
        }
        let tailA = a.count - suffix, tailB = b.count - suffix
        result += (0..<suffix).map { Edit.same(old: tailA + $0, new: tailB + $0) }
        return result
    }

    /// Myers' greedy search, keeping for each distance d only the 2d + 1 diagonals it reached (O(D²) memory);
    /// nil past `maxEditDistance`.
    private static func myers(_ a: [Substring], _ b: [Substring]) -> [Edit]? {
        let n = a.count, m = b.count
        if n == 0 { return b.indices.map { .insert(new: $0) } }
        if m == 0 { return a.indices.map { .delete(old: $0) } }
        let limit = min(n + m, maxEditDistance)
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []
        for d in 0...limit {
            trace.append(Array(v[(offset - d)...(offset + d)]))
            for k in stride(from: -d, through: d, by: 2) {
                var x = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1
                var y = x - k
                while x < n, y < m, a[x] == b[y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n, y >= m { return backtrack(trace, n: n, m: m) }
            }
        }
        return nil
    }

    /// Walks the saved diagonals back from (n, m) to (0, 0).
    private static func backtrack(_ trace: [[Int]], n: Int, m: Int) -> [Edit] {
        var x = n, y = m
        var reversed: [Edit] = []
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let v = trace[d]  // v[k + d] is diagonal k as it stood before step d
            let k = x - y
            let previousK = k == -d || (k != d && v[k - 1 + d] < v[k + 1 + d]) ? k + 1 : k - 1
            let previousX = d == 0 ? 0 : v[previousK + d]
            let previousY = previousX - previousK
            while x > previousX, y > previousY {
                reversed.append(.same(old: x - 1, new: y - 1))
                x -= 1
                y -= 1
            }
            if d > 0 {
                reversed.append(x == previousX ? .insert(new: y - 1) : .delete(old: x - 1))
            }
            x = previousX
            y = previousY
        }
        return reversed.reversed()
    }
}
