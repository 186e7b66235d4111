"""rmtui: a terminal app that walks a release manager through a CPython-style release."""

__version__ = "0.1.0"
