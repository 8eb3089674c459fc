"""What the app's Step costs the server, part by part, in-process (no browser): the network's SVG
(its size and the time to write it) and the live charts' PNG drawn over their saved axes
(``LiveCharts.png``) against the whole figure saved afresh, over one run of ``random_network`` at
N = 200 (the case of issue 11's goal), and how often the charts' still part had to be drawn again.
The browser's time is ``bench_app.py``'s. Medians over the run's steps; a shared machine moves them.

Usage::

    python benchmarks/bench_app_parts.py             # random_network, network.n=200, 100 steps
    python benchmarks/bench_app_parts.py --n 40
"""

from __future__ import annotations

import argparse
import io
import statistics
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args(argv)
    from trustsim.app.charts import PNG, LiveCharts
    from trustsim.app.network import network_svg
    from trustsim.app.viz_model import VizModel

    model = VizModel("random_network", **{"network.n": args.n})
    blitting = hasattr(LiveCharts, "png")  # run on an older commit, the charts' part is skipped
    live = LiveCharts(model.config.steps) if blitting else None
    whole = LiveCharts(model.config.steps) if blitting else None
    svg_seconds, svg_bytes, blitted, saved, redrawn, shown = [], [], [], [], 0, None
    while model.running:
        model.step()
        started = time.perf_counter()
        svg = network_svg(model)
        svg_seconds.append(time.perf_counter() - started)
        svg_bytes.append(len(svg.encode()))
        if not blitting:
            continue
        started = time.perf_counter()
        live.png(model)
        blitted.append(time.perf_counter() - started)
        redrawn += live._background[0] is not shown
        shown = live._background[0]
        started = time.perf_counter()
        whole.update(model).savefig(io.BytesIO(), **PNG)
        saved.append(time.perf_counter() - started)
    median = statistics.median
    print(f"random_network, N = {args.n}, {model.steps} steps; medians over the steps")
    print(f"network SVG       {median(svg_bytes) / 1e3:7.0f} kB  {median(svg_seconds) * 1e3:7.1f} ms")
    if not blitting:
        return 0
    print(f"charts, blitted   {median(blitted) * 1e3:18.1f} ms  (still part drawn {redrawn} times)")
    print(f"charts, whole     {median(saved) * 1e3:18.1f} ms  ({median(saved) / median(blitted):.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
