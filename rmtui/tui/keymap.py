"""The RM's own keys: `$RMTUI_HOME/keymap.toml` maps binding ids to keys."""

from __future__ import annotations

import tomllib
from pathlib import Path

from rmtui.tui.actions import BINDING_IDS

KEYMAP_FILE = "keymap.toml"


def keymap_path() -> Path:
    from rmtui.core.release import rmtui_home

    return rmtui_home() / KEYMAP_FILE


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """The keymap, and the problems found in it (each with the way out); missing file is fine."""
    path = path or keymap_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, [f"{path} is not valid TOML ({exc}); fix it or delete it to use the usual keys"]
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        return {}, [f'{path}: [keys] must be a table of binding-id = "key" lines']
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, key in keys.items():
        if binding_id not in BINDING_IDS:
            problems.append(
                f"{path}: there is no binding {binding_id!r}; the ids are: "
                + ", ".join(sorted(BINDING_IDS))
            )
        elif not isinstance(key, str) or not key.strip():
            problems.append(f'{path}: {binding_id} must be a key such as "ctrl+n" or "n,f5"')
        else:
            keymap[binding_id] = key.strip()
    return keymap, problems
