#!/usr/bin/env python3
"""The module graph stays the README's picture: every import between Bursar's own targets points from the
edge of the system towards its pure core (a lower layer), pure modules import no module that does I/O, and
every target has a place in the table below. Run by `make test`; exits 1 naming each wrong edge.

Usage: scripts/check-architecture.py [--edges]   (--edges prints the graph as edges, one per line)"""
import os
import re
import sys

# Layer by layer, from the C libraries up to the executable. An import may only go to a lower layer.
LAYERS = [
    # C libraries, each wrapped by exactly one Swift target.
    {"CGLPK", "CGLPKGuard", "CSQLite", "CLibPQ", "CCurl", "CZlib"},
    # Wrappers around the C libraries, and pure leaves that need nothing of ours.
    {"Gzip", "LinearSolver", "Store", "HTTPFetch", "SafeFiles", "JSONText", "Parallel", "Timestamps", "Diagnostics"},
    # Reading application summaries and mapping files; reading outside documents with their positions; cron schedules.
    {"Ingest", "SourceDocuments", "Schedules"},
    # Pure cores on those: YuniKorn's configuration, what the insight tables mean.
    {"QueueConfig", "Insights"},
    # The platform's configuration; the router's pure core.
    {"Platform", "Routing"},
    # The allocator; workflow definitions.
    {"Allocation", "Workflows"},
    # The scheduler's decisions; the simulated cluster.
    {"Scheduling", "SimCluster"},
    # Synthetic data; the insight tables.
    {"Synth", "InsightStore"},
    # The edges: ingesting, the nightly plan, the clusters, the simulated cluster served over HTTP, the dashboards.
    {"IngestPipeline", "NightlyPlan", "Clusters", "SimClusterServer", "Dashboards"},
    # The workflow scheduler (it watches the clusters).
    {"Scheduler"},
    # The router service.
    {"Archer"},
    # The executable.
    {"bursar"},
]
# Pure: no I/O. They may import only other pure modules and the computing wrappers (GLPK, zlib).
PURE = {"SourceDocuments", "JSONText", "Parallel", "Timestamps", "Schedules", "Diagnostics", "Ingest", "QueueConfig", "Insights", "Platform", "Routing", "Allocation", "Workflows", "Scheduling", "SimCluster"}
COMPUTING_WRAPPERS = {"LinearSolver", "Gzip"}
# Which C library each wrapper owns.
WRAPS = {"CGLPK": "LinearSolver", "CGLPKGuard": "LinearSolver", "CSQLite": "Store", "CLibPQ": "Store",
         "CCurl": "HTTPFetch", "CZlib": "Gzip"}

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
IMPORT = re.compile(r"^\s*(?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*(?:public |internal |package |private |fileprivate )?import\s+(?:(?:struct|class|enum|func|protocol|typealias|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)


def rank(module):
    for index, layer in enumerate(LAYERS):
        if module in layer:
            return index
    return None


def imports_of(target):
    found = {}
    folder = os.path.join(ROOT, "Sources", target)
    for directory, _, files in os.walk(folder):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            # Only imports outside conditional-compilation noise matter; `#if canImport(X)` blocks name
            # system modules, which are not ours anyway.
            for match in IMPORT.finditer(text):
                found.setdefault(match.group(1), os.path.relpath(path, ROOT))
    return found


def main():
    targets = sorted(name for name in os.listdir(os.path.join(ROOT, "Sources"))
                     if os.path.isdir(os.path.join(ROOT, "Sources", name)))
    ours = set(targets)
    problems = []
    edges = []
    for target in targets:
        if rank(target) is None:
            problems.append(f"Sources/{target}: a target with no place in scripts/check-architecture.py's LAYERS; add it to the layer it belongs to")
            continue
        for module, path in sorted(imports_of(target).items()):
            if module not in ours or module == target:
                continue
            edges.append((target, module))
            if rank(module) is None:
                continue
            if rank(module) >= rank(target):
                problems.append(f"{path}: {target} imports {module}, which is not below it (layer {rank(module)} vs {rank(target)}): the edge points the wrong way")
            if target in PURE and module not in PURE | COMPUTING_WRAPPERS:
                problems.append(f"{path}: {target} is pure but imports {module}, which does I/O")
            if module in WRAPS and WRAPS[module] != target:
                problems.append(f"{path}: {target} imports the C library {module}, which only {WRAPS[module]} may wrap")
    if "--edges" in sys.argv:
        for source, destination in edges:
            print(f"{source} -> {destination}")
    for problem in problems:
        print(f"check-architecture: {problem}", file=sys.stderr)
    if problems:
        print(f"check-architecture: {len(problems)} problem(s); the picture in README.md and LAYERS must agree with the imports", file=sys.stderr)
        return 1
    print(f"check-architecture: {len(targets)} targets, {len(edges)} edges between them, all pointing towards the core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
