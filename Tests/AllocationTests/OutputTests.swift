@testable import Allocation
@testable import Platform
import Foundation
import QueueConfig
import Synth
import Testing

@Suite("Outputs")
struct OutputTests {
    /// A plan over three orgs, tiers, a GPU project and a moved queue: every emitted file passes the validator,
    /// and parents carry exactly the sums of their (rounded) children.
    @Test func emittedConfigsValidateAndParentsCarrySums() throws {
        let clusters = [Build.cluster("moka-a", vcore: 4000, memory: 16384, gpu: 64, labels: ["general", "gpu"]),
                        Build.cluster("moka-b", vcore: 2000, memory: 8192)]
        var demands: [QueueDemand] = []
        var random = SplitMix64(seed: 7)
        for org in ["pay", "search", "ml"] {
            for project in ["a", "b", "c"] {
                for tier in 1...3 {
                    let v = 10 + Double(random.next() % 400) + random.unit()
                    demands.append(Build.demand("root.\(org).\(org)-\(project).tier\(tier)", vcore: v, memory: v * 3.7,
                                                gpu: org == "ml" && tier == 2 ? 3.5 : 0))
                }
            }
        }
        let previous = Build.previous([("root.pay.pay-a.tier1", "moka-b", 200), ("root.search.search-b.tier3", "moka-a", 50)])
        let plan = try Planner.plan(clusters: clusters, policy: AllocationPolicy(), demands: demands, previous: previous)
        let outputs = try ConfigBuilder.outputs(for: plan)
        #expect(outputs.count == 2)
        for output in outputs {
            let result = Validator.validate(text: output.queuesYAML)
            #expect(result.isValid, "\(output.cluster): \(result.yunikornError ?? "")")
            let fromMap = try ConfigMap.classify(output.configMapYAML)
            #expect(fromMap == .configMap(name: "yunikorn-configs", key: "queues.yaml", queuesYAML: output.queuesYAML))
            let root = try #require(result.config?.partitions.first?.queues?.first)
            func amount(_ map: QuantityMap?, _ name: String) -> Int64 {
                guard let text = map?.first(where: { $0.name == name })?.quantity, case let .success(v) = Quantity.parse(text, resource: name) else { return 0 }
                return v
            }
            for org in root.queues where org.name != "onboarding" {
                for resource in ["vcore", "memory"] {
                    #expect(amount(org.resources.guaranteed, resource) == org.queues.reduce(0) { $0 + amount($1.resources.guaranteed, resource) })
                    for project in org.queues {
                        #expect(amount(project.resources.guaranteed, resource) == project.queues.reduce(0) { $0 + amount($1.resources.guaranteed, resource) })
                    }
                }
                #expect(org.maxApplications == org.queues.reduce(0) { $0 + $1.maxApplications })
            }
        }
        // GPU work only on the GPU cluster.
        for queue in plan.queues where queue.queue.org == "ml" && queue.queue.tier == 2 { #expect(queue.cluster == "moka-a") }
        // The report renders in every format and the JSON parses.
        let json = AllocationReport.json(plan)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect((object?["queues"] as? [Any])?.count == demands.count)
        #expect(AllocationReport.markdown(plan).contains("| `root.ml.ml-a.tier2` |"))
        #expect(AllocationReport.text(plan).contains("headroom"))
    }
}
