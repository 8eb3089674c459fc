"""Serving the app (``trustsim viz``): Solara's server under uvicorn, with no internet needed.

Solara's page loads its front end (the Vue/Vuetify bundle, RequireJS, Font Awesome, the grid
layout) from ``{cdn}/package@version/...``. By default ``cdn`` is the server's own
``/_solara/cdn`` proxy, which answers from ``{sys.prefix}/share/solara/cdn`` and fetches whatever is
missing there from cdn.jsdelivr.net. The ``solara-assets`` package installs those files into that
folder, so with it installed every asset comes from the local disk and the browser never leaves the
server. This module keeps the proxy on but stops it from fetching (``no_outbound_fetches``: a missing
asset is a 404, never a request to the internet), turns Solara's telemetry and version check off,
and says clearly when an asset the page needs is not installed (see ``missing_assets``).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path


def configure_environment(scenario: str, overrides: Sequence[str] = ()) -> None:
    """Set what Solara and the app read at import: call before importing ``solara``."""
    os.environ["SOLARA_APP"] = "trustsim.app"
    os.environ["SOLARA_MODE"] = "production"
    os.environ["SOLARA_ASSETS_PROXY"] = "True"  # assets from {sys.prefix}/share/solara/cdn
    # where the proxy would fetch a missing asset: nowhere reachable (see no_outbound_fetches)
    os.environ["SOLARA_ASSETS_CDN"] = NO_CDN
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # no calls home
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"
    os.environ["TRUSTSIM_VIZ_SCENARIO"] = scenario
    os.environ["TRUSTSIM_VIZ_SET"] = json.dumps(list(overrides))


NO_CDN = "http://127.0.0.1:9/trustsim-serves-no-cdn/"


def no_outbound_fetches() -> None:
    """Make Solara's CDN proxy answer only from the local asset folder: its fetch function (called
    for an asset that is not installed) refuses instead of downloading from cdn.jsdelivr.net."""
    from solara.server import cdn_helper

    def refuse(url: str) -> bytes:
        raise FileNotFoundError(f"{url}: not installed locally, and trustsim viz fetches nothing")

    cdn_helper.fetch_from_cdn = refuse


def is_loopback(host: str) -> bool:
    """Whether ``host`` only reaches this machine (127.0.0.0/8, ::1, or a name resolving only there)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def needed_assets() -> set[str]:
    """The ``package@version`` folders the page loads from Solara's CDN: those its template names
    (for the Vue version in use) and the grid layout that Mesa's SolaraViz places components in.
    (``solara.Markdown`` would also load KaTeX, which solara-assets lacks: the app does not use it.)"""
    import solara
    import solara.server

    sources = [
        Path(solara.server.__file__).parent / "templates" / "solara.html.j2",
        Path(solara.__file__).parent / "widgets" / "vue" / "gridlayout.vue",
    ]
    pattern = r"(?:\{\{cdn\}\}|\$\{this\.getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+@\d[\w.-]*)/"
    found = {name for source in sources for name in re.findall(pattern, source.read_text())}
    try:
        import ipyvue

        vue3 = int(ipyvue.__version__.split(".")[0]) >= 2
    except (ImportError, ValueError):
        vue3 = False
    return {name for name in found if ("vuetify3" in name) == vue3}


def missing_assets() -> list[str]:
    """Front-end packages the page needs that are not in Solara's local asset folder."""
    from solara.server import settings

    folder = Path(settings.assets.proxy_cache_dir)
    needed = needed_assets() | {settings.assets.fontawesome_path.strip("/").split("/")[0]}
    return sorted(name for name in needed if not (folder / name).is_dir())


def _address(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port); OSError if it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(
    sock: socket.socket, scenario: str, overrides: Sequence[str] = (), log_level: str = "warning"
) -> None:
    """Run the app on an already bound socket until interrupted; print its address once it is up."""
    configure_environment(scenario, overrides)
    import uvicorn
    from solara.server import settings

    settings.telemetry.mixpanel_enable = False
    settings.main.mode = "production"
    no_outbound_fetches()
    # Served over plain http at 127.0.0.1, Solara warns on every page load that it falls back to
    # samesite=lax cookies (which is right for a page that is not embedded in an iframe).
    warnings.filterwarnings(
        "ignore", message="Cookies with samesite=none require https", category=UserWarning
    )
    missing = missing_assets()
    if missing:
        print(
            f"warning: Solara's front-end assets {', '.join(missing)} are not installed in "
            f"{settings.assets.proxy_cache_dir}; the page will miss them (trustsim viz fetches nothing "
            "from the internet). Install the solara-assets package.",
            file=sys.stderr,
            flush=True,
        )
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config("solara.server.starlette:app", log_level=log_level, lifespan="on")
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            print(f"trustsim viz: {scenario} at {_address(host, port)} (Ctrl+C to stop)", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])
