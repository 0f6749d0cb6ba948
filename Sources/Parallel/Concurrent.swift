import Foundation

/// `map` over the available cores, results in input order.
public enum Concurrent {
    public static func map<Element: Sendable, Output: Sendable>(_ elements: [Element], _ transform: @Sendable (Element) -> Output) -> [Output] {
        guard elements.count > 1 else { return elements.map(transform) }
        let slots = Slots<Output>(count: elements.count)
        DispatchQueue.concurrentPerform(iterations: elements.count) { index in
            slots.set(index, transform(elements[index]))
        }
        return slots.values()
    }

    /// `map` with up to `width` threads at once, for work that mostly waits on another process (requests to a
    /// server), where more threads than cores keep it busy; results in input order.
    public static func map<Element: Sendable, Output: Sendable>(_ elements: [Element], width: Int, _ transform: @escaping @Sendable (Element) -> Output) -> [Output] {
        let workers = min(max(1, width), elements.count)
        guard workers > 1 else { return elements.map(transform) }
        let slots = Slots<Output>(count: elements.count)
        let next = NextIndex(below: elements.count)
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread {
                while let index = next.claim() {
                    slots.set(index, transform(elements[index]))
                }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        return slots.values()
    }

    /// `first` and `second` at the same time; both results.
    public static func both<A: Sendable, B: Sendable>(_ first: @Sendable () -> A, _ second: @Sendable () -> B) -> (A, B) {
        let a = Slots<A>(count: 1), b = Slots<B>(count: 1)
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            if index == 0 { a.set(0, first()) } else { b.set(0, second()) }
        }
        return (a.values()[0], b.values()[0])
    }

    private final class Slots<Output>: @unchecked Sendable {
        private var storage: [Output?]
        private let lock = NSLock()
        init(count: Int) { storage = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: Output) { lock.lock(); storage[index] = value; lock.unlock() }
        func values() -> [Output] { storage.map { $0! } }
    }
}

/// The next index a worker takes, handed out once each.
private final class NextIndex: @unchecked Sendable {
    // @unchecked: `next` is only touched under `lock`.
    private let lock = NSLock()
    private var next = 0
    private let count: Int

    init(below count: Int) { self.count = count }

    /// The next index to work on, or nil when all are taken.
    func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}
