import SourceDocuments

extension YAMLTree {
    func location(_ index: Int32) -> SourceLocation {
        SourceLocation(line: Int(line(index)), column: Int(column(index)))
    }

    /// The field path of a node, rebuilt from parent links (only needed when reporting).
    func path(of index: Int32) -> FieldPath {
        var components: [FieldPath.Component] = []
        var current = index
        while parent(current) >= 0 {
            let parent = self.parent(current)
            let siblings = children(parent)
            let position = siblings.firstIndex(of: current) ?? 0
            if kind(parent) == .mapping {
                // A value is named by its key; a key by itself.
                let keyIndex = position % 2 == 1 ? siblings[position - 1] : current
                components.append(.key(value(keyIndex)))
            } else {
                components.append(.index(position))
            }
            current = parent
        }
        return FieldPath(components: components.reversed())
    }

    /// The node at `path`, following mapping keys and sequence positions; nil when absent.
    func node(at path: FieldPath) -> Int32? {
        guard root >= 0 else { return nil }
        var current = root
        for component in path.components {
            switch (component, kind(current)) {
            case (.key(let key), .mapping):
                var child = firstChild(current)
                var found: Int32?
                while child >= 0 {
                    let entry = nextSibling(child)
                    if kind(child) == .scalar && value(child) == key { found = entry }
                    child = entry >= 0 ? nextSibling(entry) : -1
                }
                guard let found, found >= 0 else { return nil }
                current = found
            case (.index(let position), .sequence):
                var child = firstChild(current)
                var remaining = position
                while child >= 0 && remaining > 0 {
                    child = nextSibling(child)
                    remaining -= 1
                }
                guard child >= 0 else { return nil }
                current = child
            default:
                return nil
            }
        }
        return current
    }
}
