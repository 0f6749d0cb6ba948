import Testing
@testable import SourceDocuments

/// The block reader's conversion works out a refusal's field path from the tree only when it refuses; the
/// path is the one the general (libyaml) reader builds as it goes.
struct ErrorPathTests {
    @Test(arguments: [
        ("<<: {x: 1}\n", "[\"<<\"]", 1, 1),
        ("jobs:\n  - name: a\n    spark:\n      <<: {x: 1}\n", "jobs[0].spark[\"<<\"]", 4, 7),
        ("a:\n  b: [1, {c: 2}, {<<: 3}]\n", "a.b[2][\"<<\"]", 2, 19),
        ("a:\n  - x\n  - y\n  - k: 1\n    <<: 2\n", "a[2][\"<<\"]", 5, 5),
    ])
    func mergeKeysAreRefusedAtTheirPath(text: String, field: String, line: Int, column: Int) {
        #expect(BlockYAMLReader.read(text) != nil, "the block reader reads \(text.debugDescription)")
        var fast: SyntaxError?
        do { _ = try YAMLSource.parse(text, limits: .configFile) } catch { fast = error }
        var general: SyntaxError?
        do { _ = try YAMLSource.parseWithLibyaml(text, limits: .configFile) } catch { general = error }
        #expect(fast?.field == field, "\(String(describing: fast))")
        #expect(fast?.line == line && fast?.column == column, "\(String(describing: fast))")
        #expect(general?.field == field && general?.line == line && general?.column == column, "\(String(describing: general))")
    }
}
