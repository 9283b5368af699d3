# Heap storage: a PyMem block, for buffers below MAP_MIN (no VMA each, a copy is cheap).

# Below this a copy costs less than a mapping (one VMA of vm.max_map_count, ~10 us per move).
MAP_THRESHOLD = 128 << 10
cdef Py_ssize_t MAP_MIN = MAP_THRESHOLD
# A growing heap buffer takes a cached mapping from this size: its pages are faulted in already.
cdef Py_ssize_t RECYCLE_MIN = 8 << 10


@cython.final
@cython.internal
cdef class HeapStorage(Storage):
    """A PyMem block: exact size, grown by realloc, which may copy."""

    @staticmethod
    cdef HeapStorage allocate(Py_ssize_t size):
        cdef HeapStorage heap = HeapStorage.__new__(HeapStorage)
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


cdef inline void renew_region(Storage region, Py_ssize_t n) noexcept:
    """A kept region (faces/kept.pxi) as a new one of exactly n bytes: a growth reallocates, as a
    new one's does; a stranger's bytes, all written before any is shown; a new serial."""
    region.size = region.dirty = n
    region.serial = new_serial()
