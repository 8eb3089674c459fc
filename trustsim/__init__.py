"""trustsim: an agent-based simulation of trust between states, on Mesa."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("trustsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
