"""Writes the README's Rust and TOML code blocks into a Cargo project made by
`cargo new`, as a reader following the README would.

Each such block follows an HTML comment that GitHub does not show,
`<!-- file: PATH -->`, naming the project file it belongs in. TOML blocks are
added to what `cargo new` wrote in Cargo.toml (into its empty `[dependencies]`,
as a reader pastes them); the first Rust block for a file replaces what
`cargo new` wrote there and later ones are appended. A Rust or TOML block
without that comment is an error, so every one of them is built.

The README's manifests reach dice through `path = "../dice/..."`, a checkout
named `dice` beside the project; CHECKOUT replaces that `../dice` (a link would
not do: cargo would see the crates at two paths, the link's and the real one).

    python3 tests/readme/extract.py README.md PROJECT_DIR CHECKOUT
"""

import re
import sys
from pathlib import Path, PurePosixPath

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)")
TABLE = re.compile(r"^\s*\[(?P<name>[^\[\]]+)\]\s*(#.*)?$")
MARKER = re.compile(r"^\s*<!--\s*file:\s*(?P<path>\S+)\s*-->\s*$")
CHECKED = {"rust", "toml"}


def blocks(text: str):
    """Yields (line number, language, marker path or None, code) per fenced block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        start, indent, fence = i, len(opening["indent"]), opening["fence"]
        previous = next((line for line in reversed(lines[:start]) if line.strip()), "")
        marker = MARKER.match(previous)
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1
        yield start + 1, opening["lang"], marker and marker["path"], "\n".join(body) + "\n"


def add_toml(manifest: Path, code: str) -> None:
    """Appends `code`, first dropping the tables it declares that the manifest
    has empty (as `cargo new` leaves `[dependencies]`). A table declared twice
    with entries in both is left for TOML to reject: the README must say how."""
    declared = {m["name"].strip() for m in map(TABLE.match, code.splitlines()) if m}
    text = manifest.read_text(encoding="utf-8") if manifest.exists() else ""
    kept, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        table = TABLE.match(line)
        rest = lines[i + 1 :]
        end = next((j for j, later in enumerate(rest) if TABLE.match(later)), len(rest))
        empty = all(not later.strip() or later.lstrip().startswith("#") for later in rest[:end])
        if table and table["name"].strip() in declared and empty:
            continue
        kept.append(line)
    manifest.write_text("\n".join(kept).rstrip() + "\n\n" + code, encoding="utf-8")


def safe(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not PurePosixPath(path).is_absolute() and ".." not in parts


def main(readme: str, project: str, checkout: str) -> int:
    root = Path(project)
    problems, written = [], {}
    for line, lang, path, code in blocks(Path(readme).read_text(encoding="utf-8")):
        if lang not in CHECKED:
            continue
        if path is None:
            problems.append(f"{readme}:{line}: a {lang} block without <!-- file: PATH --> before it")
        elif not safe(path):
            problems.append(f"{readme}:{line}: {path!r} is not a path inside the project")
        elif (lang == "toml") != (path == "Cargo.toml"):
            problems.append(f"{readme}:{line}: a {lang} block cannot go in {path}")
        else:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if lang == "toml":
                add_toml(target, code.replace('path = "../dice/', f'path = "{checkout}/'))
            else:
                append = path in written
                with target.open("a" if append else "w", encoding="utf-8") as file:
                    file.write(("\n" if append else "") + code)
            written.setdefault(path, []).append(line)
    for problem in problems:
        print(problem, file=sys.stderr)
    for path, lines in written.items():
        print(f"{path}: README lines {', '.join(map(str, lines))}")
    if not written:
        print(f"{readme}: no Rust or TOML block found", file=sys.stderr)
    return 1 if problems or not written else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
