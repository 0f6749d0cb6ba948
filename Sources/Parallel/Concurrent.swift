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
        let next = Slots<Int>(count: 1)
        next.set(0, 0)
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread {
                while let index = next.claim(below: elements.count) {
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

    fileprivate final class Slots<Output>: @unchecked Sendable {
        fileprivate var storage: [Output?]
        fileprivate let lock = NSLock()
        init(count: Int) { storage = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: Output) { lock.lock(); storage[index] = value; lock.unlock() }
        func values() -> [Output] { storage.map { $0! } }
    }
}

extension Concurrent.Slots where Output == Int {
    /// The next index to work on, or nil when all are taken (slot 0 is the counter).
    func claim(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let index = storage[0]!
        guard index < count else { return nil }
        storage[0] = index + 1
        return index
    }
}
