"""The browser app's Step, timed in headless Chromium: seconds from a click on Step until the step
counter, the network and the charts all show the new step.

Starts ``trustsim viz`` as a user would (``--port 0``) for each case, drives Debian's Chromium
(``/usr/bin/chromium``, or ``$TRUSTSIM_CHROMIUM``) through Playwright with every request off this
machine refused, clicks Step ``--clicks`` times and prints each time, the median and the budget:
0.5 s for europe (13 states), 0.3 s for the random network at N = 200 (issue 11's goal). Timings
are wall time on a shared machine: rerun when the load average is high.

Usage::

    python benchmarks/bench_app.py                 # europe and random_network n=200, 6 clicks each
    python benchmarks/bench_app.py --clicks 10
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = (  # scenario, --set options, steps shown as "of T", budget in seconds
    ("europe", [], 150, 0.5),
    ("random_network", ["--set", "network.n=200"], 100, 0.3),
)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# Polled every frame while a step is awaited: it reads the network's heading (the one text drawn
# straight into the SVG that is not a node's label), not the network's whole markup, whose
# serialisation (300-450 kB at 200 states) took the browser's main thread from the page it times.
SHOWN = """([step, total, charts]) => {
    const counter = document.querySelector('.trustsim-step');
    const heading = document.querySelector('.trustsim-network-svg svg > text:not(.label)');
    const now = document.querySelector('.trustsim-charts');
    return counter?.innerText === `Step ${step} of ${total}`
        && heading?.textContent.includes(`step ${step} of ${total}`) && now && now.innerHTML !== charts;
}"""


def serve(scenario: str, options: list[str], log: Path) -> tuple[subprocess.Popen, str]:
    trustsim = shutil.which("trustsim", path=str(Path(sys.executable).parent)) or "trustsim"
    with log.open("w") as output:
        server = subprocess.Popen(
            [trustsim, "viz", scenario, *options, "--port", "0"], stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        found = re.search(r"at (http://127\.0\.0\.1:\d+)", log.read_text())
        if found:
            return server, found.group(1)
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"trustsim viz printed no address:\n{log.read_text()}")


def time_steps(page, total: int, clicks: int) -> list[float]:
    charts, seconds = page.inner_html(".trustsim-charts"), []
    for step in range(1, clicks + 1):
        started = time.perf_counter()
        page.click("button:has-text('Step')")
        page.wait_for_function(SHOWN, arg=[step, total, charts], timeout=30_000)
        seconds.append(time.perf_counter() - started)
        charts = page.inner_html(".trustsim-charts")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=6)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("TRUSTSIM_CHROMIUM", "/usr/bin/chromium")
    rows = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        for scenario, options, total, budget in CASES:
            server, url = serve(scenario, options, Path(folder) / f"{scenario}.log")
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if re.match(r"^(https?|wss?)://127\.0\.0\.1[:/]", route.request.url)
                        else route.abort()
                    ),
                )
                page.goto(url)
                page.wait_for_selector(".trustsim-step", timeout=90_000)
                seconds = time_steps(page, total, args.clicks)
                page.close()
            finally:
                server.terminate()
                server.wait(timeout=20)
            rows.append((" ".join([scenario, *options[1:]]), seconds, budget))
            print(f"{rows[-1][0]}: done", file=sys.stderr, flush=True)
        browser.close()
    load = os.getloadavg()[0]
    print(f"Step in the browser, seconds from the click to the page showing it (load average {load:.1f})")
    print(f"{'case':<30} {'median':>7} {'budget':>7}  met  each")
    for case, seconds, budget in rows:
        median = statistics.median(seconds)
        each = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"{case:<30} {median:7.2f} {budget:7.2f}  {'yes' if median < budget else 'NO ':3}  {each}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
