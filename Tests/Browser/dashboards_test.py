"""The dashboards in a real browser (issue #18): headless Chromium from Debian, driven by Selenium, checked
by axe-core, against a real `bursar serve` on loopback and a real `bursar dashboards export` on disk.

Two data sets (BROWSER_DATA):
- `synthetic` (the default, `make test`): a history written here with known truth (YuniKorn summary lines
  and the mapping CSVs), ingested into a temporary SQLite store; the numbers the pages draw are read back from
  the DOM (`data-value` of the SVG marks and table cells) and compared with the truth computed from what was
  generated. Everything else (sign-in, crawl, links, console, axe, export) runs too.
- `sample` (`make screenshots`): the bundled sample planned by `bursar nightly` into a temporary store; the
  crawl with its checks, writing a screenshot of every page.

Environment: BURSAR_BIN (default .build/debug/bursar), SCREENSHOTS (default .build/browser-screenshots/),
SCREENSHOT_PAGES (all, or one-per-view), BROWSER_MAX_PAGES (300), CHROMIUM (/usr/bin/chromium), CHROMEDRIVER
(/usr/bin/chromedriver). No browser is ever downloaded: Selenium is
handed both paths, which skips Selenium Manager, and SE_OFFLINE is set in case anything would reach for it.

Runs as plain unittest (`python3 Tests/Browser/dashboards_test.py`) or under pytest. No assertion depends on
time taken; every wait is for a condition, bounded.
"""

import datetime as dt
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
from pathlib import Path

os.environ.setdefault("SE_OFFLINE", "true")

from axe_selenium_python import Axe  # noqa: E402  (axe-core's axe.min.js, shipped in the wheel)
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("BURSAR_BIN") or REPO / ".build/debug/bursar").resolve()
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS") or REPO / ".build/browser-screenshots")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
DATA = os.environ.get("BROWSER_DATA", "synthetic")
# `all`: a screenshot of every page crawled; `one-per-view`: of the first page of each kind of view (a page and
# the names of its filters: `slo`, `slo~tier`, `slo~days~org`, `workflow~name`…), as `make screenshots` commits.
SCREENSHOT_PAGES = os.environ.get("SCREENSHOT_PAGES", "all")
MAX_PAGES = int(os.environ.get("BROWSER_MAX_PAGES", "300"))
WIDTH = 1280
MAX_SHOT_HEIGHT = 4000
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DAY_MS = 86_400_000


# MARK: - The synthetic history and its truth


class Workflow:
    """One workflow of the history: where it runs, when, its jobs, and on which (day, time) runs miss."""

    def __init__(self, name, project, tier, slo, times, jobs, misses=(), retry=None):
        self.name, self.project, self.tier, self.slo = name, project, tier, slo
        self.times = times  # [(hour, minute)] each day
        self.jobs = jobs
        self.misses = set(misses)  # {(day index, time index)}
        self.retry = retry  # (day index, time index, job): that job's first attempt fails, the second counts


ORGS = {"finance-eng": "finance", "search-eng": "search"}  # owner → org
PROJECTS = {"ledger": "finance-eng", "ranking": "search-eng"}  # project → owner
CLUSTER_OF_ORG = {"finance": "moka-a", "search": "moka-b"}
HISTORY_DAYS = 14  # day 0 is 13 days ago, day 13 is today (UTC)

# Tier 1 by design: ledger-close meets every day; ledger-audit misses two of the last 7 days (5/7 and 12/14
# days met: attains neither window); rank-refresh misses two days before the last 7 (7/7: attains over 7 days,
# 12/14: not over 30). So tier 1 attains 2 of 3 workflows over 7 days and 1 of 3 over 30. Tier 2 always meets;
# tier 3 runs twice a day and misses one run on two days (a day with one missed run is a missed day).
WORKFLOWS = [
    Workflow("ledger-close", "ledger", 1, 60, [(1, 0)], ["extract", "aggregate"]),
    Workflow("ledger-audit", "ledger", 1, 45, [(2, 30)], ["scan"], misses={(9, 0), (12, 0)}, retry=(12, 0, "scan")),
    Workflow("rank-refresh", "ranking", 1, 30, [(3, 15)], ["build", "publish"], misses={(1, 0), (4, 0)}),
    Workflow("rank-train", "ranking", 2, 120, [(4, 0)], ["train"]),
    Workflow("ledger-archive", "ledger", 3, 90, [(6, 0), (18, 0)], ["copy"], misses={(5, 0), (11, 1)}),
]


def iso(ms):
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def day_name(ms):
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%d")


class Run:
    def __init__(self, workflow, day, index, scheduled, runtime_ms):
        self.workflow, self.day, self.index = workflow, day, index
        self.scheduled, self.runtime_ms = scheduled, runtime_ms
        stamp = dt.datetime.fromtimestamp(scheduled / 1000, dt.timezone.utc)
        self.run_id = f"{workflow.name}-{stamp.strftime('%Y%m%dT%H%M')}"
        self.deadline = scheduled + workflow.slo * 60_000
        self.finished = scheduled + runtime_ms
        self.met = self.finished <= self.deadline
        self.apps = []  # (app id, job, submit, start, finish, state)

    @property
    def runtime_minutes(self):
        return self.runtime_ms / 60_000

    @property
    def lateness_minutes(self):
        return (self.finished - self.deadline) / 60_000


class History:
    """The runs, the files that describe them, and what every page should therefore show."""

    def __init__(self, today_start):
        self.today = today_start
        self.first_day = today_start - (HISTORY_DAYS - 1) * DAY_MS
        self.runs = []
        for wf in WORKFLOWS:
            for day in range(HISTORY_DAYS):
                for index, (hour, minute) in enumerate(wf.times):
                    scheduled = self.first_day + day * DAY_MS + (hour * 60 + minute) * 60_000
                    if (day, index) in wf.misses:
                        # Late by 5 to 18 minutes, to the second.
                        runtime = wf.slo * 60_000 + 300_000 + day * 61_000
                    else:
                        # 40% of the SLO plus a day-dependent part, never over it.
                        runtime = int(wf.slo * 60_000 * 0.4) + (day % 5) * 137_000 + index * 11_000
                    run = Run(wf, day, index, scheduled, runtime)
                    assert run.met == ((day, index) not in wf.misses)
                    self._apps(run)
                    self.runs.append(run)

    @staticmethod
    def _apps(run):
        """The run's jobs one after another; the last finishes exactly at the run's finish."""
        jobs = run.workflow.jobs
        split = run.runtime_ms // len(jobs)
        for k, job in enumerate(jobs):
            begin = run.scheduled + k * split
            end = run.finished if k == len(jobs) - 1 else begin + split
            attempts = [(begin, end, "Completed")]
            if run.workflow.retry == (run.day, run.index, job):
                middle = begin + (end - begin) // 3
                attempts = [(begin, middle, "Failed"), (middle + 5_000, end, "Completed")]
            for number, (start, finish, state) in enumerate(attempts, 1):
                app = "spark-" + hashlib.sha1(f"{run.run_id}/{job}/{number}".encode()).hexdigest()[:32]
                run.apps.append((app, job, start + 2_000, start + 4_000, finish, state))

    def write(self, folder):
        """logs/<cluster>/yunikorn-<day>.log (YuniKorn ≥ 1.5 zap lines) and mappings/*.csv."""
        logs, mappings = folder / "logs", folder / "mappings"
        mappings.mkdir(parents=True)
        lines = {}
        job_apps = ["app_id,workflow,job,run_id,scheduled_at"]
        for run in self.runs:
            wf = run.workflow
            org = ORGS[PROJECTS[wf.project]]
            cluster = CLUSTER_OF_ORG[org]
            for app, job, submit, start, finish, state in run.apps:
                seconds = (finish - start) // 1000
                summary = (f"YK_APP_SUMMARY: {{ApplicationID: {app}, SubmissionTime: {submit}, StartTime: {start}, "
                           f"FinishTime: {finish}, User: svc-{wf.project}, Queue: root.{org}.{wf.project}.tier{wf.tier}, "
                           f"State: {state}, RmID: {cluster}, ResourceUsage: TrackedResource{{UNKNOWN:vcore={seconds * 2000},"
                           f"UNKNOWN:memory={seconds * 4 * 2**30},UNKNOWN:pods={seconds // 60 + 1}}}, "
                           f"PreemptedResource: TrackedResource{{}}, PlaceholderResource: TrackedResource{{}}}}")
                line = f"{iso(finish)}\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\t{summary}"
                lines.setdefault((cluster, day_name(finish)), []).append((finish, line))
                job_apps.append(f"{app},{wf.name},{job},{run.run_id},{iso(run.scheduled)[:19]}Z")
        for (cluster, day), entries in lines.items():
            path = logs / cluster / f"yunikorn-{day}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            body = [line for _, line in sorted(entries)]
            # A line that is not a summary, as real logs have: skipped, not rejected.
            body.insert(0, f"{day}T00:00:00.000Z\tINFO\tshim.cache.task\tcache/task.go:544\ttask state is changed")
            path.write_text("\n".join(body) + "\n")
        (mappings / "job_apps.csv").write_text("\n".join(job_apps) + "\n")
        (mappings / "workflows.csv").write_text(
            "workflow,project,tier,slo_minutes\n" + "".join(f"{w.name},{w.project},{w.tier},{w.slo}\n" for w in WORKFLOWS))
        (mappings / "projects.csv").write_text("project,owner\n" + "".join(f"{p},{o}\n" for p, o in PROJECTS.items()))
        (mappings / "owners.csv").write_text("owner,org\n" + "".join(f"{o},{g}\n" for o, g in ORGS.items()))

    # The truth, computed from the runs above by the rules the issue states.

    def day_start(self, days_back):
        return self.today - days_back * DAY_MS

    def window(self, days):
        """[start, end) of the last `days` days, today included."""
        return self.today - (days - 1) * DAY_MS, self.today + DAY_MS

    def runs_of(self, name, days=30):
        start, end = self.window(days)
        return [r for r in self.runs if r.workflow.name == name and start <= r.scheduled < end]

    def day_outcome(self, name, day_start):
        """1 when every run that day met, 0 when one missed, None without a run."""
        runs = [r for r in self.runs if r.workflow.name == name and day_start <= r.scheduled < day_start + DAY_MS]
        if not runs:
            return None
        return 1 if all(r.met for r in runs) else 0

    def attains(self, name, days):
        start, _ = self.window(days)
        outcomes = [self.day_outcome(name, start + k * DAY_MS) for k in range(days)]
        decided = [o for o in outcomes if o is not None]
        return sum(decided) / len(decided) >= 0.9

    def tier(self, tier, days):
        names = [w.name for w in WORKFLOWS if w.tier == tier]
        runs = [r for n in names for r in self.runs_of(n, days)]
        attaining = sum(1 for n in names if self.attains(n, days))
        return {"workflows": len(names), "attaining": attaining, "share": attaining / len(names),
                "runs": len(runs), "met": sum(r.met for r in runs)}

    def missed_runs(self, days=7):
        start, end = self.window(days)
        return [r for r in self.runs if not r.met and start <= r.scheduled < end]


# MARK: - Processes: bursar, the router, HTTP


def bursar(*args, stdin=None, check=True):
    result = subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"bursar {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Router:
    """`bursar serve` on a free loopback port with dry-run targets, stopped with SIGTERM."""

    def __init__(self, work, store, tokens, queues):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(work / "serve.log", "w")
        self.process = subprocess.Popen(
            [str(BIN), "serve", "--port", str(self.port), "--store", store, "--tokens", str(tokens),
             "--clusters", str(queues / "clusters.yaml"), "--policy", str(queues / "policy.yaml"), "--queues", str(queues),
             "--dry-run", "--dry-run-dir", str(work / "dry-run"), "--log-level", "warning"],
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):
            if self.process.poll() is not None:
                raise AssertionError(f"bursar serve exited {self.process.returncode}: {(work / 'serve.log').read_text()}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("bursar serve did not answer /healthz within 30 s")

    def request(self, method, path, headers=None, body=None):
        """(status, headers, body) without following redirects."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def chromium():
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            raise AssertionError(f"{path} is missing: run scripts/setup.sh (apt packages chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={WIDTH},900", "--lang=en-US", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--no-first-run",
                     "--force-color-profile=srgb", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(120)
    return driver


# MARK: - Reading pages


def console_errors(driver):
    """Browser console entries at SEVERE (errors, failed loads, CSP refusals) since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def axe_violations(driver):
    axe = Axe(driver)
    axe.inject()
    results = axe.run(options=json.dumps({"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}))
    return results["violations"]


def describe_violations(where, violations):
    lines = [f"axe: {len(violations)} violation(s) on {where}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"      at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            lines.append(f"         {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"      … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def page_links(driver):
    """Every link's raw href (HTML and SVG anchors) and every element id of the page."""
    return driver.execute_script("""
        return {
          links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
          ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
          h1: (document.querySelector('h1') || {textContent: ''}).textContent.trim(),
        };""")


def table(driver, table_id):
    """A data table's header and rows; each cell {text, value (float or None), href}."""
    data = driver.execute_script("""
        const table = document.querySelector(`table[data-table="${arguments[0]}"]`);
        if (!table) return null;
        return {
          columns: Array.from(table.querySelectorAll('thead th')).map(th => th.textContent.trim()),
          rows: Array.from(table.querySelectorAll('tbody tr')).map(tr => ({id: tr.id, cells: Array.from(tr.cells).map(td => {
            const a = td.querySelector('a');
            return {text: td.textContent.trim(), value: td.getAttribute('data-value'), href: a ? a.getAttribute('href') : null};
          })})),
        };""", table_id)
    if data is None:
        raise AssertionError(f"no table[data-table={table_id}] on {driver.current_url}")
    for row in data["rows"]:
        for cell in row["cells"]:
            cell["value"] = None if cell["value"] in (None, "") else float(cell["value"])
    return data


def marks(driver, chart_id):
    """A chart's marks that carry data-value: tag, class, value, label/column, title and the enclosing link."""
    data = driver.execute_script("""
        const svg = document.querySelector(`svg.chart[data-chart="${arguments[0]}"]`);
        if (!svg) return null;
        return Array.from(svg.querySelectorAll('[data-value]')).map(m => {
          const a = m.closest('a');
          // A mark's own title, else the title of the link around it (a grid names each linked cell once, on its link).
          const title = m.querySelector('title') || (a ? a.querySelector(':scope > title') : null);
          return {tag: m.tagName, cls: m.getAttribute('class'), value: m.getAttribute('data-value'),
                  label: m.getAttribute('data-label'), column: m.getAttribute('data-column'),
                  title: title ? title.textContent : null, href: a ? a.getAttribute('href') : null};
        });""", chart_id)
    if data is None:
        raise AssertionError(f"no svg.chart[data-chart={chart_id}] on {driver.current_url}")
    for mark in data:
        mark["value"] = None if mark["value"] in (None, "") else float(mark["value"])
    return data


def close(a, b):
    return a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def shot_name(relative):
    """A file name for a page: `overview`, `slo~days=7~tier=1`, as an export names it."""
    path, _, query = relative.partition("?")
    name = path or "overview"
    if name.endswith(".html"):
        name = name[:-5]
    if name == "index":
        name = "overview"
    if query:
        name += "~" + "~".join(sorted(query.split("&")))
    name = urllib.parse.unquote(name)
    name = re.sub(r"[^A-Za-z0-9.=~_-]", "_", name)
    if len(name) > 150:
        name = name[:110] + "~" + hashlib.sha1(name.encode()).hexdigest()[:12]
    return name


def screenshot(driver, path):
    """The page at 1280 px wide, as tall as it is up to MAX_SHOT_HEIGHT."""
    height = driver.execute_script(
        "return Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)")
    height = max(600, min(int(height), MAX_SHOT_HEIGHT))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def dark(driver, on):
    features = [{"name": "prefers-color-scheme", "value": "dark"}] if on else []
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})


# MARK: - The crawl


class Crawl:
    """Every page reachable from `start` by links inside `scope`, breadth first, at most MAX_PAGES: each page
    loads with no console error, passes axe (and, once per kind of page, axe in the dark theme), gets a
    screenshot; every link inside the scope answers (`exists`), and every #fragment is an id on its page.
    Reaching MAX_PAGES is a problem on the synthetic history (its pages are few by design); on the sample, whose
    pages grow with every workflow and queue, the crawl stops there and says so."""

    def __init__(self, driver, base, start, scope, exists, shots=None, axe_every=True):
        self.driver, self.base, self.scope, self.exists, self.shots = driver, base, scope, exists, shots
        self.problems = []
        self.pages = {}  # url → {ids, h1, links}
        self.fragments = []  # (page url, fragment, from url)
        self.targets = {}  # url without fragment → first page linking it
        dark_done, shapes = set(), set()
        queue, seen = [start], {start}
        while queue:
            url = queue.pop(0)
            if len(self.pages) >= MAX_PAGES:
                note = f"crawl stopped at {MAX_PAGES} pages (BROWSER_MAX_PAGES); {len(queue) + 1} left unvisited"
                if DATA == "sample":
                    print(f"browser test: {note}", flush=True)
                else:
                    self.problems.append(note)
                break
            driver.get(url)
            if driver.current_url.split("#")[0] != url:
                self.problems.append(f"{url}: ended at {driver.current_url}")
            found = page_links(driver)
            self.pages[url] = found
            for message in console_errors(driver):
                self.problems.append(f"{url}: console: {message}")
            if found["h1"] == "This view cannot be shown":
                self.problems.append(f"{url}: the problem page")
            kind = scope(url)
            if axe_every or kind not in dark_done:
                violations = axe_violations(driver)
                if violations:
                    self.problems.append(describe_violations(url, violations))
            if kind not in dark_done:
                dark(driver, True)
                try:
                    violations = axe_violations(driver)
                    if violations:
                        self.problems.append(describe_violations(url + " (dark theme)", violations))
                    if shots:
                        screenshot(driver, shots / f"{shot_name(kind)}.dark.png")
                finally:
                    dark(driver, False)
                dark_done.add(kind)
            name = shot_name(self.relative(url))
            shape = tuple([name.split("~")[0]] + [part.split("=")[0] for part in name.split("~")[1:]])
            if shots and (SCREENSHOT_PAGES == "all" or shape not in shapes):
                screenshot(driver, shots / f"{name}.png")
            shapes.add(shape)
            for raw in found["links"]:
                absolute = urllib.parse.urljoin(url, raw)
                target, _, fragment = absolute.partition("#")
                if scope(target) is None:
                    self.problems.append(f"{url}: a link leaves the dashboards: {raw}")
                    continue
                self.targets.setdefault(target, url)
                if fragment:
                    self.fragments.append((target, urllib.parse.unquote(fragment), url))
                if is_page(target) and target not in seen:
                    seen.add(target)
                    queue.append(target)
        for target, source in sorted(self.targets.items()):
            problem = exists(target)
            if problem:
                self.problems.append(f"{source}: broken link {target}: {problem}")
        for target, fragment, source in self.fragments:
            ids = self.pages[target]["ids"] if target in self.pages else None
            if ids is not None and fragment not in ids:
                self.problems.append(f"{source}: link to #{fragment} but {target} has no element with that id")

    def relative(self, url):
        """The URL below the dashboards' folder (`slo?tier=1`, `slo~tier=1.html`)."""
        return url[len(self.base):] if url.startswith(self.base) else url


def listing(problems, limit=60):
    shown = "\n".join(problems[:limit])
    more = f"\n… and {len(problems) - limit} more problems" if len(problems) > limit else ""
    return f"{len(problems)} problem(s):\n{shown}{more}"


def is_page(url):
    path = urllib.parse.urlsplit(url).path
    return not (path.endswith(".csv") or path.endswith(".json") or path.endswith("/login") or path.endswith("/logout"))


# MARK: - The tests


class Dashboards(unittest.TestCase):
    """One history, one router, one browser for the whole run (set up once; the tests run in name order)."""

    @classmethod
    def setUpClass(cls):
        started = time.monotonic()
        if not BIN.is_file():
            raise AssertionError(f"{BIN} does not exist: swift build --product bursar first (or set BURSAR_BIN)")
        cls.work = Path(tempfile.mkdtemp(prefix="bursar-browser-"))
        cls.store = f"sqlite:{cls.work / 'store.sqlite'}"
        cls.queues = cls.work / "Queues"
        cls.history = None
        if DATA == "sample":
            bursar("nightly", "--store", cls.store, "--out", str(cls.queues), "--report-dir", str(cls.work / "report"))
        else:
            now = dt.datetime.now(dt.timezone.utc)
            to_midnight = (dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.timezone.utc) - now).total_seconds()
            if to_midnight < 900:
                # The router's submissions are counted in the day they are made: keep the run inside one UTC day.
                print(f"browser test: {to_midnight:.0f} s to midnight UTC; waiting for the new day", flush=True)
                time.sleep(to_midnight + 5)
                now = dt.datetime.now(dt.timezone.utc)
            today = int(dt.datetime.combine(now.date(), dt.time(), dt.timezone.utc).timestamp() * 1000)
            cls.history = History(today)
            cls.history.write(cls.work / "history")
            ingest = bursar("ingest", str(cls.work / "history" / "logs"), "--mappings", str(cls.work / "history" / "mappings"),
                            "--store", cls.store, "--format", "json")
            report = json.loads(ingest.stdout)
            print(f"browser test: ingested {json.dumps(report)[:300]}", flush=True)
            cls.queues.mkdir()
        for name in ("clusters.yaml", "policy.yaml"):
            shutil.copy(REPO / "Queues" / name, cls.queues / name)
        made = bursar("token", "new", "--principal", "browser", "--team", "finance-eng", "--team", "search-eng",
                      "--team", "payments-core", "--file", str(cls.work / "tokens.yaml"))
        cls.token = made.stderr.strip().splitlines()[-1].strip()
        assert cls.token.startswith("brs_"), made.stderr
        cls.router = Router(cls.work, cls.store, cls.work / "tokens.yaml", cls.queues)
        cls.dashboards = cls.router.base + "/dashboards/"
        cls.submitted = {}
        if cls.history:
            cls.submit_jobs()
        cls.driver = chromium()
        cls.shots = SCREENSHOTS
        cls.shots.mkdir(parents=True, exist_ok=True)
        for old in cls.shots.glob("*.png"):
            old.unlink()
        print(f"browser test: set up in {time.monotonic() - started:.1f} s ({DATA} data, {BIN})", flush=True)

    @classmethod
    def submit_jobs(cls):
        """Jobs through the router before any page is read (the dashboards' snapshot is then cached): their
        decisions, as the router answered them, are the router page's truth."""
        for number, (project, tier) in enumerate([("ledger", 1), ("ledger", 1), ("ledger", 3), ("ranking", 2), ("ranking", 1)]):
            body = {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
                    "metadata": {"name": f"adhoc-{number}", "labels": {
                        "bursar.dev/workflow": f"adhoc-{project}", "bursar.dev/project": project, "bursar.dev/tier": str(tier)}},
                    "spec": {"type": "Scala", "mode": "cluster", "image": "spark:3.5.3", "mainClass": "com.example.Main",
                             "mainApplicationFile": "local:///opt/job.jar", "sparkVersion": "3.5.3",
                             "driver": {"cores": 1, "memory": "2g"}, "executor": {"instances": 2, "cores": 1, "memory": "2g"}}}
            status, _, answer = cls.router.request(
                "POST", "/v1/submissions", {"Authorization": f"Bearer {cls.token}", "Content-Type": "application/json"},
                json.dumps(body).encode())
            assert status in (200, 201, 202), f"submission {number}: {status} {answer[:400]!r}"
            decision = json.loads(answer)["decision"]
            key = (decision["cluster"], decision["source"])
            cls.submitted[key] = cls.submitted.get(key, 0) + 1

    @classmethod
    def tearDownClass(cls):
        driver = getattr(cls, "driver", None)
        if driver:
            driver.quit()
        router = getattr(cls, "router", None)
        if router:
            router.stop()
        if os.environ.get("KEEP_WORK"):
            print(f"browser test: kept {cls.work}")
        else:
            shutil.rmtree(cls.work, ignore_errors=True)

    # Helpers

    def auth(self):
        return {"Authorization": f"Bearer {self.token}"}

    def signed_in(self):
        if not any(c["name"] == "bursar_session" for c in self.driver.get_cookies()):
            self.sign_in(self.token)
        return self.driver

    def sign_in(self, token):
        driver = self.driver
        if "/dashboards/login" not in driver.current_url:
            driver.get(self.dashboards + "login")
        field = driver.find_element(By.ID, "token")
        field.clear()
        field.send_keys(token)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        # A click does not wait for the page the form posts to: wait until the form's page is gone and the next loaded.
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(driver, 30).until(expected_conditions.staleness_of(field))
        WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def open(self, relative):
        driver = self.signed_in()
        driver.get(self.dashboards + relative)
        self.assertEqual([], console_errors(driver), relative)
        return driver

    def server_exists(self, url):
        path = url[len(self.router.base):]
        status, headers, _ = self.router.request("GET", path, self.auth())
        if status != 200:
            return f"HTTP {status}"
        if path.split("?")[0].endswith(".json") and "json" not in headers.get("content-type", ""):
            return f"content type {headers.get('content-type')}"
        return None

    def server_scope(self, url):
        """The kind of page (`overview`, `slo`, …) for a URL under /dashboards/, else None."""
        if not url.startswith(self.dashboards):
            return None
        path = urllib.parse.urlsplit(url[len(self.dashboards):]).path
        return path.split(".")[0] or "overview"

    # 1. Signing in

    def test_1_sign_in(self):
        driver = self.driver
        # Without a session: pages redirect to the sign-in form (keeping where they were going), data is refused.
        status, headers, _ = self.router.request("GET", "/dashboards/slo?tier=1")
        self.assertEqual(303, status)
        self.assertEqual("login?next=slo%3Ftier%3D1", headers.get("location"))
        self.assertEqual(401, self.router.request("GET", "/dashboards/slo.csv")[0])
        self.assertEqual(200, self.router.request("GET", "/dashboards/slo.csv", self.auth())[0])
        self.assertEqual(401, self.router.request("GET", "/dashboards/slo.csv", {"Authorization": "Bearer brs_wrong"})[0])

        driver.get(self.dashboards + "login")
        driver.delete_all_cookies()
        driver.get(self.dashboards + "slo?tier=1")
        self.assertTrue(driver.current_url.startswith(self.dashboards + "login?next="), driver.current_url)
        self.assertEqual([], console_errors(driver))
        violations = axe_violations(driver)
        self.assertEqual([], violations, describe_violations("the sign-in page", violations))

        # A wrong token: refused, said so, no cookie.
        self.sign_in("brs_not-a-token")
        alert = driver.find_element(By.CSS_SELECTOR, "[role=alert]")
        self.assertIn("not known", alert.text)
        self.assertEqual(self.dashboards + "login", driver.current_url)
        self.assertFalse([c for c in driver.get_cookies() if c["name"] == "bursar_session"])
        # The refused form post itself (401) is the only thing the console reports.
        errors = console_errors(driver)
        self.assertTrue(all("status of 401" in e for e in errors), errors)
        violations = axe_violations(driver)
        self.assertEqual([], violations, describe_violations("the sign-in page with its error", violations))

        # The right token: a session cookie (HttpOnly, SameSite=Strict, scoped to /dashboards) and back where we were.
        self.sign_in(self.token)
        self.assertEqual(self.dashboards + "slo?tier=1", driver.current_url)
        cookies = [c for c in driver.get_cookies() if c["name"] == "bursar_session"]
        self.assertEqual(1, len(cookies))
        self.assertTrue(cookies[0]["httpOnly"])
        self.assertEqual("Strict", cookies[0]["sameSite"])
        self.assertEqual("/dashboards", cookies[0]["path"])
        self.assertEqual("", driver.execute_script("return document.cookie"), "the session must not be readable by script")
        self.assertEqual([], console_errors(driver))
        self.assertIn("Sign out browser", driver.find_element(By.CSS_SELECTOR, "form.logout button").text)

    # 2. Every page

    def test_2_crawl(self):
        driver = self.signed_in()
        started = time.monotonic()
        crawl = Crawl(driver, self.dashboards, self.dashboards, self.server_scope, self.server_exists, shots=self.shots)
        kinds = sorted({self.server_scope(url) for url in crawl.pages})
        print(f"browser test: crawled {len(crawl.pages)} pages ({', '.join(kinds)}), {len(crawl.targets)} link targets, "
              f"{len(crawl.fragments)} fragment links in {time.monotonic() - started:.1f} s; screenshots in {self.shots}", flush=True)
        self.assertEqual([], crawl.problems, listing(crawl.problems))
        # Every page of the dashboards is reachable from the overview (a single queue once the Queues page links one).
        self.assertLessEqual({"overview", "slo", "workflow", "queues", "allocation", "router"}, set(kinds))

    # 3. The numbers

    def test_3_overview_numbers(self):
        if not self.history:
            self.skipTest("sample data: no truth to compare with")
        self.check_overview(self.open(""))

    def check_overview(self, driver):
        h = self.history
        rows = table(driver, "attainment")["rows"]
        expected = [(tier, days) for tier in (1, 2, 3) for days in (7, 30)]
        self.assertEqual(len(expected), len(rows))
        bars = {m["label"]: m for m in marks(driver, "attainment-chart") if m["tag"] == "rect"}
        for (tier, days), row in zip(expected, rows):
            truth = h.tier(tier, days)
            cells = row["cells"]
            where = f"tier {tier}, {days} days"
            self.assertEqual(f"Tier {tier}", cells[0]["text"], where)
            self.assertEqual(days, cells[1]["value"], where)
            self.assertEqual(truth["workflows"], cells[2]["value"], where)
            self.assertEqual(truth["attaining"], cells[3]["value"], where)
            self.assertTrue(close(truth["share"], cells[4]["value"]), f"{where}: share {cells[4]['value']} ≠ {truth['share']}")
            self.assertEqual(truth["runs"], cells[5]["value"], where)
            self.assertEqual(truth["met"], cells[6]["value"], where)
            self.assertEqual("yes" if truth["share"] >= 0.9 else "no", cells[7]["text"], where)
            bar = bars.get(f"T{tier} {days}d")
            if truth["share"] > 0:
                self.assertIsNotNone(bar, f"{where}: no bar")
                self.assertTrue(close(truth["share"] * 100, bar["value"]), f"{where}: bar {bar['value']} ≠ {truth['share'] * 100}")
                self.assertTrue(bar["title"].startswith(f"Tier {tier}, {days} days: "), bar["title"])
            else:
                self.assertIsNone(bar, f"{where}: a bar drawn for a share of 0")
        goal = [m for m in marks(driver, "attainment-chart") if m["tag"] == "line"]
        self.assertEqual([90.0], [m["value"] for m in goal])

        # The tiles say the same.
        tiles = {t["label"]: t for t in driver.execute_script("""
            return Array.from(document.querySelectorAll('.tile a')).map(a => ({
              label: a.querySelector('.tile-label').textContent, value: a.querySelector('.tile-value').textContent,
              href: a.getAttribute('href')}));""")}
        self.assertEqual(f"{h.tier(1, 7)['share'] * 100:.1f}%", tiles["Tier 1 attaining SLO, 7 days"]["value"])
        self.assertEqual(str(len(h.missed_runs())), tiles["Missed runs, 7 days"]["value"])

        # The missed runs of the last 7 days, newest first, with their lateness.
        missed = sorted(h.missed_runs(), key=lambda r: (r.scheduled, r.workflow.name), reverse=True)
        rows = table(driver, "missed-runs")["rows"]
        self.assertEqual([r.run_id for r in missed], [row["cells"][3]["text"] for row in rows])
        for run, row in zip(missed, rows):
            self.assertEqual(run.workflow.name, row["cells"][0]["text"])
            self.assertTrue(close(run.lateness_minutes, row["cells"][6]["value"]), run.run_id)

    def test_4_slo_matrix_numbers(self):
        if not self.history:
            self.skipTest("sample data: no truth to compare with")
        h = self.history
        for query, days, tier in (("slo", 30, None), ("slo?days=7&tier=1", 7, 1)):
            driver = self.open(query)
            data = table(driver, "slo-matrix")
            start, _ = h.window(days)
            day_starts = [start + k * DAY_MS for k in range(days)]
            self.assertEqual([day_name(d) for d in day_starts], data["columns"][3:], query)
            names = [w.name for w in sorted(WORKFLOWS, key=lambda w: (w.tier, ORGS[PROJECTS[w.project]], w.name))
                     if tier is None or w.tier == tier]
            self.assertEqual(names, [row["cells"][0]["text"] for row in data["rows"]], query)
            cells = {}
            for m in marks(driver, "slo-matrix-chart"):
                cells[(m["title"].split(",")[0], m["column"])] = m
            for row in data["rows"]:
                name = row["cells"][0]["text"]
                for k, day in enumerate(day_starts):
                    truth = h.day_outcome(name, day)
                    cell = row["cells"][3 + k]
                    where = f"{query}: {name} on {day_name(day)}"
                    self.assertEqual(truth, cell["value"], where)
                    mark = cells.get((name, day_name(day)))
                    if truth is None:
                        self.assertIsNone(mark, where)
                        self.assertIsNone(cell["href"], where)
                    else:
                        self.assertEqual(truth, mark["value"], where)
                        self.assertEqual(("met" if truth else "missed"), mark["cls"].split()[-1], where)
                        link = f"workflow?name={name}#day-{day_name(day)}"
                        self.assertEqual(link, mark["href"], where)
                        self.assertEqual(link, cell["href"], where)
            # Tiers (unfiltered) or orgs × tiers: the share of the group's workflows whose day was met.
            groups = {}
            for w in WORKFLOWS:
                if tier is None or w.tier == tier:
                    groups.setdefault((ORGS[PROJECTS[w.project]] if tier else "all orgs", w.tier), []).append(w.name)
            rows = table(driver, "slo-by-org")["rows"]
            self.assertEqual(sorted(groups, key=lambda g: (g[1], g[0])), [(r["cells"][0]["text"], int(r["cells"][1]["value"])) for r in rows])
            for row in rows:
                members = groups[(row["cells"][0]["text"], int(row["cells"][1]["value"]))]
                self.assertEqual(len(members), row["cells"][2]["value"])
                for k, day in enumerate(day_starts):
                    outcomes = [o for o in (h.day_outcome(n, day) for n in members) if o is not None]
                    truth = sum(outcomes) / len(outcomes) if outcomes else None
                    value = row["cells"][3 + k]["value"]
                    self.assertTrue(truth == value or close(truth, value), f"{query}: {row['cells'][0]['text']} on {day_name(day)}: {value} ≠ {truth}")

    def test_5_workflow_numbers(self):
        if not self.history:
            self.skipTest("sample data: no truth to compare with")
        h = self.history
        for name in ("ledger-audit", "ledger-archive", "rank-refresh"):
            driver = self.open(f"workflow?name={name}")
            runs = h.runs_of(name)
            start, _ = h.window(30)
            # The calendar: each day's outcome, runs and runs met.
            calendar = table(driver, "calendar")["rows"]
            self.assertEqual(30, len(calendar), name)
            calendar_marks = {m["title"].split(":")[0]: m for m in marks(driver, "calendar-chart")}
            for k, row in enumerate(calendar):
                day = start + k * DAY_MS
                of_day = [r for r in runs if day <= r.scheduled < day + DAY_MS]
                truth = h.day_outcome(name, day)
                where = f"{name} on {day_name(day)}"
                self.assertEqual(day_name(day), row["cells"][0]["text"], where)
                self.assertEqual(truth, row["cells"][1]["value"], where)
                self.assertEqual(len(of_day), row["cells"][2]["value"], where)
                self.assertEqual(sum(r.met for r in of_day), row["cells"][3]["value"], where)
                self.assertEqual(truth, calendar_marks[day_name(day)]["value"], where)
            # Each run: runtime and lateness to the second, newest first; each day's first row carries its anchor.
            rows = table(driver, "runs")["rows"]
            ordered = sorted(runs, key=lambda r: (r.scheduled, r.run_id), reverse=True)
            self.assertEqual([r.run_id for r in ordered], [row["cells"][0]["text"] for row in rows], name)
            anchored = set()
            for run, row in zip(ordered, rows):
                self.assertEqual("met" if run.met else "missed", row["cells"][3]["text"], run.run_id)
                self.assertTrue(close(run.runtime_minutes, row["cells"][4]["value"]), f"{run.run_id}: {row['cells'][4]} ≠ {run.runtime_minutes}")
                self.assertTrue(close(run.lateness_minutes, row["cells"][5]["value"]), run.run_id)
                anchor = f"day-{day_name(run.scheduled)}"
                self.assertEqual(anchor if anchor not in anchored else "", row["id"], run.run_id)
                anchored.add(anchor)
            # The duration bars, oldest to newest, against the SLO line.
            chart = marks(driver, "durations-chart")
            bars = [m for m in chart if m["tag"] == "rect"]
            by_time = sorted(runs, key=lambda r: (r.scheduled, r.run_id))
            self.assertEqual(len(by_time), len(bars), name)
            for run, bar in zip(by_time, bars):
                self.assertTrue(close(run.runtime_minutes, bar["value"]), run.run_id)
                self.assertEqual("met" if run.met else "missed", bar["cls"], run.run_id)
                self.assertEqual(f"workflow?name={name}#day-{day_name(run.scheduled)}", bar["href"])
            self.assertEqual([float(runs[0].workflow.slo)], [m["value"] for m in chart if m["tag"] == "line"])
        # The retried job: two attempts, the second one's success shown.
        driver = self.open("workflow?name=ledger-audit")
        retried = next(r for r in h.runs if r.workflow.name == "ledger-audit" and r.day == 12)
        row = next(r for r in table(driver, "jobs")["rows"] if r["cells"][0]["text"] == retried.run_id)
        self.assertEqual(("succeeded (2)", 2.0), (row["cells"][2]["text"], row["cells"][2]["value"]))

    def test_6_router_numbers(self):
        if not self.history:
            self.skipTest("sample data: no truth to compare with")
        driver = self.open("router?days=1")
        rows = table(driver, "submissions")["rows"]
        counted = {}
        for row in rows:
            key = (row["cells"][1]["text"], row["cells"][2]["text"])
            self.assertEqual("submitted", row["cells"][3]["text"])
            counted[key] = counted.get(key, 0) + row["cells"][4]["value"]
        self.assertEqual(self.submitted, counted)
        by_cluster = {}
        for m in marks(driver, "by-cluster-chart"):
            cluster = m["title"].rsplit(" to ", 1)[1]
            by_cluster[cluster] = by_cluster.get(cluster, 0) + m["value"]
        truth = {}
        for (cluster, _), n in self.submitted.items():
            truth[cluster] = truth.get(cluster, 0) + n
        self.assertEqual(truth, {c: n for c, n in by_cluster.items() if n})
        failures = driver.find_element(By.ID, "failures")
        self.assertEqual("No submission failed.", failures.find_element(By.CSS_SELECTOR, ".empty").text)
        subtitle = driver.find_element(By.CSS_SELECTOR, ".subtitle").text
        self.assertTrue(subtitle.startswith(f"{sum(self.submitted.values())} submissions in the last 1 day"), subtitle)

    # 4. Drill-downs lead where they say

    def test_7_drill_downs(self):
        if not self.history:
            self.skipTest("sample data: checked by the crawl's links and anchors only")
        h = self.history
        driver = self.open("slo")
        # Click a missed cell of the matrix (an SVG link): the workflow page, scrolled to that day's runs.
        missed = next(r for r in h.runs if r.workflow.name == "ledger-audit" and not r.met)
        day = day_name(missed.scheduled)
        link = driver.find_element(By.CSS_SELECTOR, f'svg[data-chart="slo-matrix-chart"] a[href="workflow?name=ledger-audit#day-{day}"]')
        link.click()
        self.assertEqual(f"{self.dashboards}workflow?name=ledger-audit#day-{day}", driver.current_url)
        self.assertEqual("ledger-audit", driver.find_element(By.TAG_NAME, "h1").text)
        row = driver.find_element(By.ID, f"day-{day}")
        cells = row.find_elements(By.TAG_NAME, "td")
        self.assertEqual(missed.run_id, cells[0].text)
        self.assertEqual("missed", cells[3].text)
        place = driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.top, window.innerHeight, window.scrollY];", row)
        self.assertTrue(-1 <= place[0] < place[1], f"the day's row is not scrolled into view (top, height, scrollY: {place})")
        self.assertEqual([], console_errors(driver))

        # The tier-1 tile: the matrix filtered to tier 1 over 7 days.
        driver = self.open("")
        driver.find_element(By.XPATH, "//li[contains(@class,'tile')]/a[span[@class='tile-label' and text()='Tier 1 attaining SLO, 7 days']]").click()
        self.assertEqual(f"{self.dashboards}slo?days=7&tier=1", driver.current_url)
        current = driver.execute_script("""
            return Array.from(document.querySelectorAll('.filter')).map(f => [f.querySelector('.filter-label').textContent,
              (f.querySelector('[aria-current]') || {textContent: ''}).textContent]);""")
        self.assertIn(["Days:", "7"], current)
        self.assertIn(["Tier:", "1"], current)
        self.assertEqual({"1"}, {r["cells"][2]["text"] for r in table(driver, "slo-matrix")["rows"]})

        # The missed-runs tile: the overview's own list of missed runs.
        driver = self.open("")
        driver.find_element(By.XPATH, "//li[contains(@class,'tile')]/a[span[text()='Missed runs, 7 days']]").click()
        self.assertEqual(f"{self.dashboards}#missed", driver.current_url)
        self.assertEqual(len(h.missed_runs()), len(table(driver, "missed-runs")["rows"]))

        # A bar of the attainment chart: the matrix of that tier and window.
        driver = self.open("")
        driver.find_element(By.CSS_SELECTOR, 'svg[data-chart="attainment-chart"] a[href="slo?days=7&tier=1"]').click()
        self.assertEqual(f"{self.dashboards}slo?days=7&tier=1", driver.current_url)

        # A missed run in the overview's list: its workflow, at its day.
        driver = self.open("")
        newest = max(h.missed_runs(), key=lambda r: (r.scheduled, r.workflow.name))
        driver.find_element(By.CSS_SELECTOR, 'table[data-table="missed-runs"] tbody tr:first-child a').click()
        self.assertEqual(f"{self.dashboards}workflow?name={newest.workflow.name}#day-{day_name(newest.scheduled)}", driver.current_url)
        self.assertEqual(newest.run_id, driver.find_element(By.ID, f"day-{day_name(newest.scheduled)}").find_element(By.TAG_NAME, "td").text)

        # The queues tiles lead to their filtered views (whatever those pages show while they are being built).
        driver = self.open("")
        for label, query in (("Queues above guaranteed", "queues?state=borrowing"), ("Queues pinned at max", "queues?state=at-max")):
            href = driver.find_element(By.XPATH, f"//li[contains(@class,'tile')]/a[span[text()='{label}']]").get_attribute("href")
            self.assertEqual(self.dashboards + query, href)

    # 5. The static export

    def test_8_export(self):
        out = self.work / "export"
        started = time.monotonic()
        result = bursar("dashboards", "export", str(out), "--store", self.store)
        print(f"browser test: {result.stdout.strip()}", flush=True)
        driver = self.driver
        base = out.as_uri() + "/"

        def scope(url):
            if not url.startswith(base):
                return None
            name = url[len(base):].split("~")[0].split(".")[0]
            return "overview" if name == "index" else name

        def exists(url):
            path = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
            return None if path.is_file() else "no such file"

        # Every link is relative: the export works from any folder, with no server.
        for page in out.glob("*.html"):
            for href in re.findall(r'<a\s[^>]*href="([^"]*)"', page.read_text()):
                self.assertFalse(href.startswith("/") or re.match(r"^[a-z]+:", href), f"{page.name}: absolute link {href}")
        # Axe on the overview and once per kind of page in the dark (the same templates the server crawl checked
        # page by page).
        crawl = Crawl(driver, base, base + "index.html", scope, exists, shots=None, axe_every=False)
        print(f"browser test: export: {len(crawl.pages)} pages from file:// in {time.monotonic() - started:.1f} s", flush=True)
        self.assertEqual([], crawl.problems, listing(crawl.problems))
        exported = {p.name for p in out.glob("*.html")}
        crawled = {urllib.parse.unquote(u[len(base):]) for u in crawl.pages}
        self.assertEqual(set(), crawled - exported, "every page the export's links reach is in it")
        self.assertEqual(set(), exported - crawled, "every page the export holds is reached by its links")
        if self.history:
            driver.get(base + "index.html")
            self.check_overview(driver)


if __name__ == "__main__":
    began = time.monotonic()
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    failed = len(result.failures) + len(result.errors)
    print(f"browser test: {DATA} data, {time.monotonic() - began:.0f} s in all")
    # Last, the plain closing line a CI reader counts.
    print(f"browser: {result.testsRun - failed - len(result.skipped)} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(0 if result.wasSuccessful() else 1)
