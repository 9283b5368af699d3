# C-API and libc pieces Cython's own declarations lack.

from cpython.object cimport PyTypeObject
from cpython.ref cimport PyObject

cdef extern from "<string.h>" nogil:
    void *memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len)
    void *memrchr(const void *s, int c, size_t n)

ctypedef int (*initproc)(PyObject *, PyObject *, PyObject *) except -1

cdef extern from "Python.h":
    Py_ssize_t references "Py_REFCNT"(PyObject *o)  # without the new reference an object argument takes
    PyTypeObject *type_of "Py_TYPE"(PyObject *o)  # the same, for a type
    ctypedef void (*destructor)(PyObject *) noexcept
    object PyMethod_New(object function, object instance)
    ctypedef object (*ssizeargfunc)(object, Py_ssize_t)
    ctypedef int (*ssizeobjargproc)(object, Py_ssize_t, PyObject *) except -1
    ctypedef struct PySequenceMethods:
        ssizeargfunc sq_item
        ssizeobjargproc sq_ass_item
    ctypedef PyObject *(*iternextfunc)(PyObject *) noexcept
    ctypedef struct SlotTable "PyTypeObject":  # the slots remap sets or reads after PyType_Ready
        PySequenceMethods *tp_as_sequence
        PyObject *tp_dict
        initproc tp_init
        destructor tp_dealloc
        iternextfunc tp_iternext
    void PyType_Modified(PyTypeObject *type)
    const int PY_VERSION_HEX
    ctypedef struct PyMethodDef:
        const char *ml_name
        void *ml_meth
        int ml_flags
        const char *ml_doc
    const int METH_FASTCALL, METH_NOARGS
    object PyDescr_NewMethod(PyTypeObject *type, PyMethodDef *method)
    ctypedef struct PyGetSetDef:
        const char *name
        void *get
        void *set
        const char *doc
        void *closure
    object PyDescr_NewGetSet(PyTypeObject *type, PyGetSetDef *getset)
    const Py_ssize_t PY_SSIZE_T_MAX
    Py_ssize_t PyNumber_AsSsize_t(object o, PyObject *exc) except? -1
    bint PyIndex_Check(object o)
    bint PyMapping_Check(object o)
    int PyObject_AsFileDescriptor(object o) except -1
    double PyFloat_AsDouble(object o) except? -1.0
    double PyLong_AsDouble(object o) except? -1.0
    long long PyLong_AsLongLongAndOverflow(object o, int *overflow) except? -1
    unsigned long long PyLong_AsUnsignedLongLong(object o) except? <unsigned long long>-1
    int PySlice_Unpack(object s, Py_ssize_t *start, Py_ssize_t *stop, Py_ssize_t *step) except -1
    Py_ssize_t PySlice_AdjustIndices(Py_ssize_t length, Py_ssize_t *start, Py_ssize_t *stop,
                                     Py_ssize_t step)
