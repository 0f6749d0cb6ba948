/// The Queues, Queue and Allocation pages (being built for issue #18).
enum QueuesPage {
    static func build(_ view: DashboardView, snapshot: DashboardSnapshot, linker: DashboardLinker) throws(DashboardRequestError) -> PageModel {
        PageModel(view: view, title: "Queues", subtitle: "", sections: [Section(id: "queues", heading: "Queues", empty: "Not built yet.")])
    }
}

enum QueuePage {
    static func build(_ view: DashboardView, snapshot: DashboardSnapshot, linker: DashboardLinker) throws(DashboardRequestError) -> PageModel {
        PageModel(view: view, title: "Queue", subtitle: "", sections: [Section(id: "queue", heading: "Queue", empty: "Not built yet.")])
    }
}

enum AllocationPage {
    static func build(_ view: DashboardView, snapshot: DashboardSnapshot, linker: DashboardLinker) throws(DashboardRequestError) -> PageModel {
        PageModel(view: view, title: "Allocation", subtitle: "", sections: [Section(id: "allocation", heading: "Allocation", empty: "Not built yet.")])
    }
}
