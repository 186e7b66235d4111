"""The use-case layer: what the CLI and the TUI do with a release, above the steps."""
