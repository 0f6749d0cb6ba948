import Foundation
import InsightStore
import Store
import Testing
import TestSupport

/// A fresh temporary folder per test.
func scratchFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-plan-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Every name in a folder tree (relative paths, sorted), hidden ones included: what a run left behind.
func tree(_ folder: URL) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
    return enumerator.compactMap { $0 as? String }.filter { !$0.hasSuffix("store.sqlite") && !$0.contains("store.sqlite-") }.sorted()
}

func write(_ text: String, _ path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

func contents(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

/// A small valid queue configuration whose leaf root.<org>.<project>.tier<tier> is guaranteed `vcore`.
func queuesYAML(org: String = "payments", project: String = "ledger", tier: Int = 1, vcore: String = "10") -> String {
    """
    partitions:
      - name: default
        queues:
          - name: root
            queues:
              - name: \(org)
                queues:
                  - name: \(project)
                    queues:
                      - name: tier\(tier)
                        resources:
                          guaranteed: {vcore: "\(vcore)", memory: 10Gi}
                          max: {vcore: "\(vcore)", memory: 10Gi}

    """
}
