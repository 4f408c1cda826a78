"""The package version, in one place (read by the cache keys and the run manifests)."""

__version__ = "0.1.0"
