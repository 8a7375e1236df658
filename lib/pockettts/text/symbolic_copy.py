#!/usr/bin/env python3
"""Copies a shared library and marks the copy DF_SYMBOLIC.

The sanitizer builds' tokenizer module links such a copy of libsentencepiece (meson.build). The
dynamic loader then resolves the library's references to its own definitions first, the run-time
equivalent of linking it -Bsymbolic: its private protobuf-lite serves its own calls, not the
system protobuf that libtorch loaded. The normal build gets that from RTLD_DEEPBIND, which the
sanitizer runtimes refuse (text/sentencepiece_loader.cpp).

Usage: symbolic_copy.py SOURCE.so DEST.so
"""
import shutil
import sys

from elftools.elf.elffile import ELFFile

DT_NULL, DT_FLAGS, DF_SYMBOLIC = 0, 30, 0x2


def flags_entry_offset(path):
    """The file offset of the DT_FLAGS entry's value, or of a spare DT_NULL to turn into one."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        dynamic = elf.get_section_by_name(".dynamic")
        if dynamic is None:
            sys.exit(f"symbolic_copy: {path} has no .dynamic section")
        entsize = dynamic["sh_entsize"]
        tags = [t.entry.d_tag for t in dynamic.iter_tags()]
        word = entsize // 2
        base = dynamic["sh_offset"]
        if "DT_FLAGS" in tags:
            i = tags.index("DT_FLAGS")
            return base + i * entsize, word, False
        # The list ends at the first DT_NULL; linkers leave spare ones after it.
        nulls = [i for i, t in enumerate(tags) if t == "DT_NULL"]
        if len(nulls) < 2:
            sys.exit(f"symbolic_copy: {path} has no DT_FLAGS and no spare dynamic entry")
        return base + nulls[0] * entsize, word, True


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, dest = sys.argv[1], sys.argv[2]
    offset, word, new_entry = flags_entry_offset(source)
    shutil.copyfile(source, dest)
    with open(dest, "r+b") as f:
        if new_entry:
            f.seek(offset)
            f.write(DT_FLAGS.to_bytes(word, "little") + DF_SYMBOLIC.to_bytes(word, "little"))
        else:
            f.seek(offset + word)
            value = int.from_bytes(f.read(word), "little") | DF_SYMBOLIC
            f.seek(offset + word)
            f.write(value.to_bytes(word, "little"))


if __name__ == "__main__":
    main()
