# Heap storage: a PyMem block, for buffers below MAP_MIN (no VMA each, a copy is cheap).

# Below this a copy costs less than a mapping (one VMA of vm.max_map_count, ~10 us per move).
MAP_THRESHOLD = 128 << 10
cdef Py_ssize_t MAP_MIN = MAP_THRESHOLD
# A growing heap buffer takes a cached mapping from this size: its pages are faulted in already.
cdef Py_ssize_t RECYCLE_MIN = 8 << 10
# Regions below RECYCLE_MIN that a dying buffer held alone are kept, up to KEPT_MAX, for the
# next small buffer: a slice or a Buffer(100) made and dropped then skips the storage object's
# creation and the block's malloc and free.
cdef enum:
    KEPT_MAX = 8
cdef PyObject *KEPT[KEPT_MAX]  # the kept HeapStorage objects (a reference each), oldest first
cdef int KEPT_COUNT = 0


@cython.final
@cython.internal
cdef class HeapStorage(Storage):
    """A PyMem block: exact size, grown by realloc, which may copy."""

    @staticmethod
    cdef HeapStorage allocate(Py_ssize_t size):
        cdef HeapStorage heap = take_kept(size) if size < RECYCLE_MIN else None
        if heap is not None:
            return heap
        heap = HeapStorage.__new__(HeapStorage)
        heap.base = <char *>PyMem_Malloc(size)
        if heap.base == NULL:
            heap.base = EMPTY
            raise MemoryError(f"cannot allocate {size} bytes")
        heap.size = heap.dirty = size  # malloc's bytes are not known to be zero
        heap.release_at = PY_SSIZE_T_MAX  # consumed bytes wait for a compaction
        return heap

    cdef bint resize_in_place(self, Py_ssize_t size) except -1:
        return size == self.size  # realloc may move, even to shrink

    cdef int resize_moving(self, Py_ssize_t size) except -1:
        cdef char *fresh = <char *>PyMem_Realloc(self.base, size)
        if fresh == NULL:
            raise MemoryError(f"cannot allocate {size} bytes")
        self.base, self.size, self.dirty = fresh, size, size
        return 0

    cdef Storage successor(self, Py_ssize_t size, bint hugepages):
        """Nothing, a mapping from MAP_MIN up, or from RECYCLE_MIN a cached mapping not much larger."""
        if size == 0 or size >= MAP_MIN:
            return anonymous_storage(size, hugepages)
        if size < RECYCLE_MIN:
            return None
        return MappedStorage.recycled(size, max(64 * size, 4 << 20), hugepages)

    cdef void release(self) noexcept:
        if self.base != EMPTY:
            PyMem_Free(self.base)
        self.base, self.size = EMPTY, 0

    cdef str kind(self):
        return "heap"


cdef void keep_heap(HeapStorage heap) noexcept:
    """Keep a small region that only a dying buffer held, for the next small buffer; past
    KEPT_MAX the oldest kept one is freed."""
    global KEPT_COUNT
    if not 0 < heap.size < RECYCLE_MIN:
        return
    if KEPT_COUNT == KEPT_MAX:
        forget_kept(0)
    Py_INCREF(heap)
    KEPT[KEPT_COUNT] = <PyObject *>heap
    KEPT_COUNT += 1


cdef HeapStorage take_kept(Py_ssize_t size):
    """A kept region whose block holds size to 1.25 size + 64 bytes, made exactly size bytes
    (as a new one would be: a growth still reallocates), its bytes not known to be zero; or None."""
    cdef int i
    cdef HeapStorage heap
    for i in range(KEPT_COUNT - 1, -1, -1):
        if size <= (<HeapStorage>KEPT[i]).size <= size + (size >> 2) + 64:
            heap = <HeapStorage>KEPT[i]
            forget_kept(i)
            heap.size = heap.dirty = size  # a stranger's bytes: zeroed before any is shown
            heap.serial = new_serial()  # a new region to its new buffer
            return heap
    return None


cdef void forget_kept(int index) noexcept:
    """Drop the cache's reference to kept region index (freeing it if nothing else holds it)."""
    global KEPT_COUNT
    cdef PyObject *heap = KEPT[index]
    KEPT_COUNT -= 1
    memmove(&KEPT[index], &KEPT[index + 1], (KEPT_COUNT - index) * sizeof(PyObject *))
    Py_DECREF(<object>heap)
