"""The rehearsal sandbox: a CPython-shaped repository rmtui can release without harm."""
