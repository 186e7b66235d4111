"""The Textual TUI: shows the release, gathers the RM's input, runs steps in thread workers."""
