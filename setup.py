"""Build remap's one compiled extension; REMAP_NO_MREMAP=1 builds the map-copy-unmap fallback."""

import os

from Cython.Build import cythonize
from setuptools import Extension, setup

macros = []
# binding=False: methods are method descriptors, which check the type of self (Cython's binding
# functions do not: cython/cython#1903); "clinic" signatures give them __text_signature__.
# Not freethreading_compatible: no free-threaded interpreter has run the tests yet, so a
# free-threaded CPython turns the GIL back on when it imports the module (the critical sections
# stay in place for the day one does).
directives = {"language_level": 3, "binding": False, "autotestdict": False, "embedsignature": True,
              "embedsignature.format": "clinic"}
if os.environ.get("REMAP_NO_MREMAP") == "1":
    macros.append(("REMAP_NO_MREMAP", "1"))
if os.environ.get("REMAP_LINETRACE") == "1":
    macros.append(("CYTHON_TRACE_NOGIL", "1"))
    directives["linetrace"] = True

# One extension: _core.pyx includes every layer; _kernel.h, the kernel layer's C, sits beside it.
# -fno-plt: calls into libpython and libc (PyBytes_FromStringAndSize, memchr: one of each per line
# read) go through the GOT, not a PLT stub; a line of `for line in f` is 1.02-1.03x BytesIO's
# time with the stubs, 0.95-0.99x without (paired runs; gcc and clang both take it).
core = Extension("remap._core", ["src/remap/_core.pyx"], include_dirs=["src/remap"],
                 depends=["src/remap/_kernel.h", "src/remap/_kernel_files.h",
                          "src/remap/_kernel_threads.h"], define_macros=macros,
                 extra_compile_args=["-fno-plt"])
setup(ext_modules=cythonize([core], compiler_directives=directives))
