public import Foundation
public import InsightStore
import Diagnostics
import Parallel
import SafeFiles

/// Job attempts read ahead for every workflow, so an export renders its pages on every core.
public struct PrefetchedWorkflowDetails: WorkflowDetailSource {
    private let attempts: [String: [JobAttempt]]
    private let from: Int64

    public init(_ attempts: [String: [JobAttempt]], from: Int64) {
        self.attempts = attempts
        self.from = from
    }

    public func jobAttempts(workflow: String, from: Int64, to: Int64) throws -> [JobAttempt] {
        (attempts[workflow] ?? []).filter { $0.scheduledAt >= from && $0.scheduledAt < to }
    }
}

/// A failed export: what went wrong and what to do.
public struct DashboardExportError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// `bursar dashboards export OUT/`: every view reachable from the overview by its links, each as HTML (links
/// between files, so it works from `file://` with no server), CSV and JSON. Written to a folder beside `OUT`
/// and put in its place only when complete, so a failed or killed export leaves the previous one whole.
public enum DashboardExport {
    /// The file in an export's folder that marks it as one (an existing folder without it is never replaced).
    public static let marker = ".bursar-dashboards"

    public struct Summary: Sendable {
        public var views: Int
        public var files: Int
        public var bytes: Int
        public var largestPage: (name: String, bytes: Int)
        /// CPU time of each stage, summed over the views and threads.
        public var cpu = StageTimes()
    }

    /// Seconds of CPU (user and system) an export spent in each stage of rendering and writing its views.
    public struct StageTimes: Sendable {
        /// Building the page models (their numbers, charts and tables).
        public var models = 0.0
        /// The layout template's values: the pages' tables as HTML, links, navigation.
        public var layoutValues = 0.0
        /// The layout template (swift-mustache) rendering each page, and its bytes.
        public var template = 0.0
        /// Each page's CSV and JSON.
        public var csvAndJSON = 0.0
        /// Finding the views each page links to.
        public var links = 0.0
        /// Creating and writing the three files.
        public var writing = 0.0

        public var total: Double { models + layoutValues + template + csvAndJSON + links + writing }

        static func + (a: StageTimes, b: StageTimes) -> StageTimes {
            StageTimes(models: a.models + b.models, layoutValues: a.layoutValues + b.layoutValues, template: a.template + b.template,
                       csvAndJSON: a.csvAndJSON + b.csvAndJSON, links: a.links + b.links, writing: a.writing + b.writing)
        }
    }

    public static func write(to folder: URL, snapshot: DashboardSnapshot, details: any WorkflowDetailSource,
                             site: DashboardSite = DashboardSite()) throws -> Summary {
        let manager = FileManager.default
        let target = folder.standardizedFileURL
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: target.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw DashboardExportError(description: "\(target.path) is a file; name a folder for the export")
            }
            let contents = (try? manager.contentsOfDirectory(atPath: target.path)) ?? []
            guard contents.isEmpty || contents.contains(marker) else {
                throw DashboardExportError(description: "\(target.path) holds files that are not a dashboards export; name an empty or new folder (an earlier export there is replaced)")
            }
        }
        let parent = target.deletingLastPathComponent()
        do {
            try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw DashboardExportError(description: "cannot create \(parent.path): \(error.localizedDescription)")
        }
        // One export beside OUT at a time (the kernel drops the lock however this process ends), so what an
        // earlier, killed one left is ours to clear: its staged folder, and OUT set aside by an interrupted swap,
        // which goes back in place when OUT is gone (an export never leaves the reader with nothing).
        let lock: FolderLock?
        do {
            lock = try FolderLock.acquire(parent.path, create: false)
        } catch {
            throw DashboardExportError(description: "cannot lock \(parent.path) for the export: \(error)")
        }
        defer { withExtendedLifetime(lock) {} }
        let name = target.lastPathComponent
        for entry in ((try? manager.contentsOfDirectory(atPath: parent.path)) ?? []).sorted()
        where entry.hasPrefix(".\(name).partial-") || entry.hasPrefix(".\(name).old-") {
            let left = parent.appendingPathComponent(entry)
            if entry.hasPrefix(".\(name).old-"), !manager.fileExists(atPath: target.path),
               manager.fileExists(atPath: left.appendingPathComponent(marker).path) {
                try? manager.moveItem(at: left, to: target)
            } else {
                try? manager.removeItem(at: left)
            }
        }
        let staging = parent.appendingPathComponent(".\(name).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try? manager.removeItem(at: staging)
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw DashboardExportError(description: "cannot create \(staging.path): \(error.localizedDescription)")
        }
        do {
            let summary = try render(into: staging, snapshot: snapshot, details: details, site: site)
            try Data("bursar dashboards export\n".utf8).write(to: staging.appendingPathComponent(marker))
            // Swap: the old export aside, the new one in, the old one removed.
            let old = parent.appendingPathComponent(".\(name).old-\(ProcessInfo.processInfo.processIdentifier)")
            if manager.fileExists(atPath: target.path) { try manager.moveItem(at: target, to: old) }
            Failpoint.reach("export-mid-swap")
            try manager.moveItem(at: staging, to: target)
            try? manager.removeItem(at: old)
            return summary
        } catch {
            try? manager.removeItem(at: staging)
            if let error = error as? DashboardExportError { throw error }
            throw DashboardExportError(description: "writing the export failed: \(error.localizedDescription)")
        }
    }

    private struct Rendered: Sendable {
        var view: DashboardView
        var linked: Set<DashboardView>
        var bytes: Int
        var htmlBytes: Int
        var stages = StageTimes()
        var failure: String?
    }

    /// This thread's CPU time (user and system) in seconds.
    private static func threadCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Renders level by level from the overview, each level's pages on every core.
    private static func render(into folder: URL, snapshot: DashboardSnapshot, details: any WorkflowDetailSource,
                               site: DashboardSite) throws -> Summary {
        var done = Set<DashboardView>()
        var pending = [DashboardView(.overview)]
        done.insert(pending[0])
        var summary = Summary(views: 0, files: 0, bytes: 0, largestPage: ("", 0))
        var failures: [String] = []
        while !pending.isEmpty {
            let results = Concurrent.map(pending) { view -> Rendered in
                let linked = LinkedViews()
                let linker = DashboardLinker.export(recordingInto: linked)
                do {
                    var stages = StageTimes()
                    let started = threadCPU()
                    let model = try site.page(view, snapshot: snapshot, details: details, linker: linker)
                    let modelled = threadCPU()
                    let values = site.layoutContext(model, snapshot: snapshot, linker: linker, session: nil)
                    let valued = threadCPU()
                    let html = Array(site.layout(values).utf8)
                    let laidOut = threadCPU()
                    let (csv, json) = model.csvAndJSONBytes()
                    let tabled = threadCPU()
                    let shown = linked.shown(in: html)
                    let linkedUp = threadCPU()
                    for (format, bytes) in [(DashboardFormat.html, html), (.csv, csv), (.json, json)] {
                        // No fsync per file: the export is swapped in only once every file is written.
                        try DurableFiles.writeNew(folder.appendingPathComponent(DashboardLinker.fileName(view, format: format)).path, bytes)
                    }
                    stages.models = modelled - started
                    stages.layoutValues = valued - modelled
                    stages.template = laidOut - valued
                    stages.csvAndJSON = tabled - laidOut
                    stages.links = linkedUp - tabled
                    stages.writing = threadCPU() - linkedUp
                    return Rendered(view: view, linked: shown, bytes: html.count + csv.count + json.count, htmlBytes: html.count,
                                    stages: stages)
                } catch {
                    return Rendered(view: view, linked: [], bytes: 0, htmlBytes: 0, failure: "\(DashboardLinker.fileName(view, format: .html)): \(error)")
                }
            }
            pending = []
            Failpoint.reach("export-mid-render")
            for result in results {
                if let failure = result.failure {
                    failures.append(failure)
                    continue
                }
                summary.views += 1
                summary.files += 3
                summary.bytes += result.bytes
                summary.cpu = summary.cpu + result.stages
                if result.htmlBytes > summary.largestPage.bytes {
                    summary.largestPage = (DashboardLinker.fileName(result.view, format: .html), result.htmlBytes)
                }
                for view in result.linked.sorted() where done.insert(view).inserted { pending.append(view) }
            }
        }
        guard failures.isEmpty else {
            throw DashboardExportError(description: "\(failures.count) linked view(s) could not be rendered, so their links would lead nowhere: " + failures.prefix(5).joined(separator: "; "))
        }
        return summary
    }
}
