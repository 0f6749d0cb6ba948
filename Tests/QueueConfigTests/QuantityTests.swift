import Synth
import Testing
@testable import QueueConfig

/// YuniKorn's quantity grammar (`resources/quantity.go`), table-driven.
struct QuantityTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        let resource: String
        let expected: Result<Int64, Quantity.ParseError>
        var testDescription: String { "\(resource)=\(text)" }
    }

    static let cases: [Case] = [
        Case(text: "10", resource: "vcore", expected: .success(10_000)),
        Case(text: "500m", resource: "vcore", expected: .success(500)),
        Case(text: "1Ki", resource: "vcore", expected: .success(1_024_000)),
        Case(text: "10", resource: "memory", expected: .success(10)),
        Case(text: " 16Gi ", resource: "memory", expected: .success(16 << 30)),
        Case(text: "10 Gi", resource: "memory", expected: .success(10 << 30)),
        Case(text: "2k", resource: "pods", expected: .success(2_000)),
        Case(text: "3E", resource: "memory", expected: .success(3_000_000_000_000_000_000)),
        Case(text: "0", resource: "nvidia.com/gpu", expected: .success(0)),
        Case(text: "500m", resource: "memory", expected: .failure(.invalidSuffix)),
        Case(text: "500m", resource: "vcores", expected: .failure(.invalidSuffix)),
        Case(text: "1K", resource: "memory", expected: .failure(.invalidSuffix)),
        Case(text: "1mi", resource: "memory", expected: .failure(.invalidSuffix)),
        Case(text: "1.5Gi", resource: "memory", expected: .failure(.invalidQuantity)),
        Case(text: "-50", resource: "memory", expected: .failure(.invalidQuantity)),
        Case(text: "+10", resource: "memory", expected: .failure(.invalidQuantity)),
        Case(text: "1e3", resource: "memory", expected: .failure(.invalidQuantity)),
        Case(text: "", resource: "memory", expected: .failure(.invalidQuantity)),
        Case(text: "10GB", resource: "memory", expected: .failure(.invalidQuantity)),
        Case(text: "99999999999999999999", resource: "memory", expected: .failure(.overflow)),
        Case(text: "9223372036854775807", resource: "vcore", expected: .failure(.overflow)),
        Case(text: "9Ei", resource: "memory", expected: .failure(.overflow)),
        Case(text: "7Ei", resource: "memory", expected: .success(7 << 60)),
    ]

    @Test(arguments: cases)
    func parse(_ testCase: Case) {
        #expect(Quantity.parse(testCase.text, resource: testCase.resource) == testCase.expected)
    }

    @Test func advice() {
        #expect(QuantityAdvice.hint("10GB", resource: "memory") == "drop the B: write 10G or 10Gi")
        #expect(QuantityAdvice.hint("1.5Gi", resource: "memory").contains("whole numbers"))
        #expect(QuantityAdvice.hint("500m", resource: "memory").contains("only allowed on vcore"))
        #expect(QuantityAdvice.hint("fast", resource: "memory").contains("digits"))
    }

    @Test func goRenderingOfResources() {
        let vector = ResourceVector(["vcore": 1000, "memory": 10, "nvidia.com/gpu": 2])
        #expect(vector.goDescription == "map[memory:10 nvidia.com/gpu:2 vcore:1000]")
        #expect(ResourceVector().goDescription == "map[]")
    }

    @Test func fitSaturatesAndSkipsUndefined() {
        let max = ResourceVector(["memory": 100])
        #expect(max.fits(ResourceVector(["memory": 100, "vcore": 5_000])))
        #expect(!max.fits(ResourceVector(["memory": 101])))
        var sum = ResourceVector(["memory": Int64.max])
        sum.add(ResourceVector(["memory": 1]))
        #expect(sum.amounts["memory"] == Int64.max)
    }
}

/// SHA-256 and YuniKorn's checksum text rules.
struct ChecksumTests {
    @Test func knownDigests() {
        // Without a checksum line, YuniKorn's checksum is the plain SHA-256 of the text.
        #expect(Checksum.yunikorn(of: "abc")
                == "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
        #expect(Checksum.yunikorn(of: "") == "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
        let long = String(repeating: "a", count: 1_000)
        #expect(Checksum.yunikorn(of: long)
                == "41EDECE42D63E8D9BF515A9BA6932E1C20CBC9F5A5D134645ADB5DB1B9737EA3")
    }

    @Test func checksumLineIsIgnored() {
        let body = "partitions:\n  - name: default\n    queues:\n      - name: root\n"
        let withLine = body + "checksum: " + String(repeating: "A", count: 64) + "\n"
        #expect(Checksum.yunikorn(of: withLine) == Checksum.yunikorn(of: body + "\n"))
    }

    @Test func emittedChecksumIsWhatYuniKornComputes() {
        let text = Emitter.yaml(SyntheticQueues.orgTree(queueCount: 40), withChecksum: true)
        let decoded = StrictDecoder.decode(text)
        #expect(decoded.config?.checksum == Checksum.yunikorn(of: text))
    }
}
