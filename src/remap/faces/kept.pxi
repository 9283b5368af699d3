# Kept buffers: a plain Buffer that dies holding a small heap region alone is kept whole, object
# and region, up to KEPT_MAX of them, for the next small Buffer. A slice, a copy or a Buffer(100)
# made and dropped then skips the object's and the block's allocation and freeing, and Cython's
# __dealloc__ wrapper (which saves and restores the error state). A kept buffer is dead: its
# reference count is 0 and nothing can reach it, until take_kept makes it a new object.

cdef enum:
    KEPT_MAX = 8
cdef PyObject *KEPT[KEPT_MAX]  # the kept buffers, oldest first
cdef int KEPT_COUNT = 0
cdef destructor FREE_BUFFER = NULL  # Cython's tp_dealloc of Buffer: clears the storage, frees


cdef extern from "Python.h":
    Buffer revive "PyObject_Init"(PyObject *dead, PyTypeObject *type)  # a new reference


cdef void keep_or_free(PyObject *dying) noexcept:
    """Buffer's tp_dealloc: keep a plain Buffer whose small heap region only it holds, else free it.
    (Pointers only: a reference to a dying object would deallocate it again.)"""
    global KEPT_COUNT
    cdef PyObject *storage = <PyObject *>(<BufferCore>dying).storage
    if (type_of(dying) != <PyTypeObject *>Buffer or type_of(storage) != <PyTypeObject *>HeapStorage
            or references(storage) != 1 or not 0 < (<HeapStorage>storage).size < RECYCLE_MIN):
        FREE_BUFFER(dying)
        return
    if KEPT_COUNT == KEPT_MAX:
        forget_kept(0)
    KEPT[KEPT_COUNT] = dying
    KEPT_COUNT += 1


cdef Buffer take_kept(Py_ssize_t size):
    """A kept buffer whose block holds size bytes (to 1.25 size + 64), made a new Buffer of size
    bytes (a stranger's: the caller writes every one); None if none fits."""
    cdef int i = kept_index(size)
    if i < 0:
        return None
    cdef Buffer revived = revive(KEPT[i], <PyTypeObject *>Buffer)
    drop_kept(i)
    revived._renew(size)
    return revived


cdef Storage take_kept_region(Py_ssize_t size):
    """The region of the kept buffer take_kept would give, made exactly size bytes, the buffer
    object freed (never revived); None if none fits."""
    cdef int i = kept_index(size)
    if i < 0:
        return None
    cdef PyObject *dead = KEPT[i]
    drop_kept(i)
    cdef Storage region = (<BufferCore>dead).storage
    (<BufferCore>dead).storage = NO_STORAGE  # the region's reference moves to this function
    FREE_BUFFER(dead)
    renew_region(region, size)
    return region


cdef inline int kept_index(Py_ssize_t size) noexcept:
    """The newest kept buffer whose block holds size to 1.25 size + 64 bytes, or -1."""
    cdef int i
    if 0 < size < RECYCLE_MIN:
        for i in range(KEPT_COUNT - 1, -1, -1):
            if size <= (<BufferCore>KEPT[i]).storage.size <= size + (size >> 2) + 64:
                return i
    return -1


cdef void forget_kept(int index) noexcept:
    """Free kept buffer index, and its region."""
    cdef PyObject *dead = KEPT[index]
    drop_kept(index)
    FREE_BUFFER(dead)


cdef inline void drop_kept(int index) noexcept:
    """Take kept buffer index off the list."""
    global KEPT_COUNT
    KEPT_COUNT -= 1
    if index < KEPT_COUNT:  # not the newest, which take_kept looks at first
        memmove(&KEPT[index], &KEPT[index + 1], (KEPT_COUNT - index) * sizeof(PyObject *))


FREE_BUFFER = (<SlotTable *>Buffer).tp_dealloc
(<SlotTable *>Buffer).tp_dealloc = keep_or_free
