"""Help texts shipped with the TUI (Markdown files read with importlib.resources)."""
