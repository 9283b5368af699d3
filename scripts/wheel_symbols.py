"""Check that a wheel's extension needs nothing a glibc 2.17 system lacks: python wheel_symbols.py WHEEL.

auditwheel reads symbol versions only. A C library function newer than the target (explicit_bzero,
memfd_create's wrapper) links against zig's glibc 2.17 stubs as an undefined symbol without a
version, and would fail to load on an old system; so every undefined symbol must be Python's own
(the interpreter provides it), weak, or versioned GLIBC_2.17 or older.
"""

import io
import sys
import zipfile

from elftools.elf.elffile import ELFFile

OLDEST = (2, 17)


def problems(elf):
    """The undefined symbols an old glibc's libc could not provide: "name", "name@version", or
    "name@version from library" for any library but libc (glibc 2.17 kept threads in libpthread)."""
    versions, libraries = {}, {}
    for needed, auxiliaries in elf.get_section_by_name(".gnu.version_r").iter_versions():
        for aux in auxiliaries:
            versions[aux["vna_other"]] = aux.name
            libraries[aux["vna_other"]] = needed.name
    versym = elf.get_section_by_name(".gnu.version")
    found = []
    for index, symbol in enumerate(elf.get_section_by_name(".dynsym").iter_symbols()):
        if symbol["st_shndx"] != "SHN_UNDEF" or not symbol.name:
            continue
        number = versym.get_symbol(index)["ndx"]
        version = versions.get(number)
        if libraries.get(number, "libc.so.6") != "libc.so.6":
            found.append(f"{symbol.name}@{version} from {libraries[number]}")
        elif version is None:
            if not symbol.name.startswith(("Py", "_Py")) and symbol["st_info"]["bind"] != "STB_WEAK":
                found.append(symbol.name)
        elif version.startswith("GLIBC_") and tuple(map(int, version[6:].split("."))) > OLDEST:
            found.append(f"{symbol.name}@{version}")
    return found


def main(path):
    with zipfile.ZipFile(path) as wheel:
        for name in wheel.namelist():
            if name.endswith(".so"):
                bad = problems(ELFFile(io.BytesIO(wheel.read(name))))
                if bad:
                    sys.exit(f"{name} needs what glibc {OLDEST[0]}.{OLDEST[1]} lacks: {', '.join(bad)}")
                print(f"{name}: every undefined symbol is Python's, weak, or glibc <= 2.17")


if __name__ == "__main__":
    main(sys.argv[1])
