"""The step kit: the pieces steps share (commands, the clone, facts, manifest, GPG, methods)."""
