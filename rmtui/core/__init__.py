"""Pure domain: versions, profiles, steps, state machine, store and engine (no Textual)."""
