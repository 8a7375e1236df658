#!/usr/bin/env python3
"""Keeps the layering of docs/architecture.md true: which folder may include which.

Fails (listing every offending line) when
- a public header (include/pockettts/) includes a libtorch (torch, c10, ATen), GStreamer or GLib
  header, or an internal one (torch_interop.h alone may include ATen: it is the opt-in overload);
- a file of gst/ or examples/ includes an internal library header (only <pockettts/...> and its
  own folder's headers);
- a file of lib/pockettts/<layer>/ includes a layer it must not (a kernel a model file, the
  model the engine, ...).
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2])
LIB = ROOT / "lib" / "pockettts"
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
HEAVY = re.compile(r"^(torch|c10|ATen|gst|glib|gio|gobject|libsoup)/|^glib\.h$|^gst/")

# What each layer of lib/pockettts may include besides itself and the public headers.
ALLOWED = {
    "common": set(),
    "kernels": {"common"},
    "formats": {"common"},
    "resources": {"common"},
    "audio": {"common"},
    "text": {"common"},
    "model": {"kernels", "formats", "common"},
    "engine": {"model", "kernels", "formats", "resources", "audio", "text", "common"},
    # The facade (files at the top of lib/pockettts) may include every layer.
    "": {"engine", "model", "kernels", "formats", "resources", "audio", "text", "common"},
}


def includes(path):
    text = path.read_text(errors="replace")
    for match in INCLUDE.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2)


def sources(folder):
    return sorted(p for p in folder.rglob("*") if p.suffix in {".h", ".cpp", ".c"})


def main():
    problems = []

    def report(path, line, text):
        problems.append(f"{path.relative_to(ROOT)}:{line}: {text}")

    for path in sources(ROOT / "include" / "pockettts"):
        for line, kind, name in includes(path):
            if kind == '"':
                report(path, line, f'public header includes "{name}" (use <pockettts/...>)')
            elif HEAVY.search(name) and not (path.name == "torch_interop.h" and name.startswith("ATen/")):
                report(path, line, f"public header includes <{name}>")

    for front in ("gst", "examples"):
        for path in sources(ROOT / front):
            for line, kind, name in includes(path):
                if kind == '"' and not (path.parent / name).exists():
                    report(path, line, f'{front}/ includes the internal header "{name}"')

    for path in sources(LIB):
        rel = path.relative_to(LIB)
        layer = rel.parts[0] if len(rel.parts) > 1 else ""
        for line, kind, name in includes(path):
            if kind != '"':
                continue
            target = name.split("/")[0] if "/" in name else None
            if target is None or not (LIB / name).exists():
                report(path, line, f'"{name}" is not a path from lib/pockettts')
                continue
            if target != layer and target not in ALLOWED.get(layer, set()):
                report(path, line, f'{layer or "the facade"} may not include "{name}"')

    if problems:
        print("layering rules broken (docs/architecture.md):")
        print("\n".join(problems))
        return 1
    print("layering rules hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
