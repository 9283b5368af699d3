"""Build remap's one compiled extension; REMAP_NO_MREMAP=1 builds the map-copy-unmap fallback."""

import os

from Cython.Build import cythonize
from setuptools import Extension, setup

macros = []
directives = {"language_level": 3, "embedsignature": True, "freethreading_compatible": True}
if os.environ.get("REMAP_NO_MREMAP") == "1":
    macros.append(("REMAP_NO_MREMAP", "1"))
if os.environ.get("REMAP_LINETRACE") == "1":
    macros.append(("CYTHON_TRACE_NOGIL", "1"))
    directives["linetrace"] = True

core = Extension("remap._core", ["src/remap/_core.pyx"], define_macros=macros)
setup(ext_modules=cythonize([core], compiler_directives=directives))
