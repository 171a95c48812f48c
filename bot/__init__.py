"""mlebot: a community bot for aspiring machine-learning engineers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlebot")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
