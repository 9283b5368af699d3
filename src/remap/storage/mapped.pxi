# Mapped storage: a private anonymous mapping, resized with mremap, recycled through the cache.

# A mapping gives consumed pages back this many bytes at a time at least (a syscall each time).
# Below it, a consumed prefix waits for a compaction, which keeps the pages: giving 4 KiB pages
# back only to fault fresh ones in at the tail costs a receive loop more than moving its bytes.
cdef Py_ssize_t GIVE_BACK_MIN = 2 << 20


cdef inline Py_ssize_t mapping_size(Py_ssize_t n) noexcept:
    """Whole pages, or whole 2 MiB units from 2 MiB up (so the kernel aligns and moves them at PMD level)."""
    return round_up(n, HUGE if n >= HUGE else PAGE)


@cython.final
@cython.internal
cdef class MappedStorage(Storage):
    """A private anonymous mapping: grown in place by mremap where the kernel can, else moved."""

    cdef bint hugepages  # advise MADV_HUGEPAGE from 2 MiB up; False: MADV_NOHUGEPAGE
    cdef bint advised    # the mapping carries its advice already
    cdef Py_ssize_t borrowed  # the size of the cached entry it came from (0: a fresh mapping)

    @staticmethod
    cdef MappedStorage allocate(Py_ssize_t size, bint hugepages):
        """A mapping of at least size bytes: a cached one if one fits, else a fresh one."""
        cdef MappedStorage mapping = MappedStorage.recycled(size, PY_SSIZE_T_MAX, hugepages)
        if mapping is None:
            mapping = MappedStorage.__new__(MappedStorage)
            mapping.mapped, mapping.hugepages = True, hugepages
            mapping.base = map_anonymous(mapping_size(size), PROT_READ | PROT_WRITE)
            mapping.size = mapping_size(size)
            mapping.placed()
        return mapping

    @staticmethod
    cdef MappedStorage recycled(Py_ssize_t size, Py_ssize_t most, bint hugepages):
        """A cached mapping of size to most bytes, or None if the cache has none."""
        cdef MappedStorage mapping = MappedStorage.__new__(MappedStorage)
        mapping.base, mapping.mapped, mapping.hugepages = EMPTY, True, hugepages
        if CACHE is None or not CACHE.take(mapping, mapping_size(size), most):  # None: at teardown
            return None
        mapping.borrowed = mapping.size
        mapping.placed()
        return mapping

    cdef Py_ssize_t fit(self, Py_ssize_t n) noexcept:
        return mapping_size(n)

    cdef bint resize_in_place(self, Py_ssize_t size) except -1:
        if size == self.size:
            return True
        if size == 0 or (size < MAP_MIN and size < self.size):  # shrinking to heap size: move there
            return False
        cdef void *p
        if self.size - size < GIL_FREE_MIN:
            p = remap_resize(self.base, self.size, size, REMAP_IN_PLACE, NULL)
        else:  # a large shrink frees touched pages (~0.1 ms a MiB): without the GIL
            mark_busy(self, None)
            with nogil:
                p = remap_resize(self.base, self.size, size, REMAP_IN_PLACE, NULL)
            mark_idle(self, None)
        if p == MAP_FAILED:
            return False
        self.resized(<char *>p, size)
        return True

    cdef int resize_moving(self, Py_ssize_t size) except -1:
        cdef char *target = NULL
        if size >= REMAP_GIANT:  # a 1 GiB-aligned place to move to, so PUD entries move whole
            target = placeholder(size)
        cdef void *p = remap_resize(self.base, self.size, size, REMAP_MAY_MOVE, target)
        if p == MAP_FAILED:
            err = errno
            if target != NULL:
                munmap(target, size)
            raise_errno(err, f"mremap from {self.size} to {size} bytes failed")
        if not REMAP_HAVE_MREMAP:  # mremap keeps any advice given; a map-copy-unmap move does not
            self.advised = False
        self.resized(<char *>p, size)
        return 0

    cdef void resized(self, char *base, Py_ssize_t size) noexcept:
        self.base, self.size, self.dirty = base, size, min(self.dirty, size)
        self.placed()

    cdef void placed(self) noexcept:
        """After base or size changed: advise huge pages from 2 MiB (or none), find release_at."""
        if not self.advised and (self.size >= HUGE or not self.hugepages):
            madvise(self.base, self.size, MADV_HUGEPAGE if self.hugepages else MADV_NOHUGEPAGE)
            self.advised = True
        self.release_at = (round_up(<Py_ssize_t>self.base + GIVE_BACK_MIN, self.unit())
                           - <Py_ssize_t>self.base)

    cdef Storage successor(self, Py_ssize_t size, bint hugepages):
        return anonymous_storage(size, hugepages) if size < MAP_MIN else None

    cdef Py_ssize_t unit(self) noexcept:
        """What give_back frees at a time: 2 MiB on huge-page mappings, so no huge page splits."""
        return HUGE if self.advised and self.hugepages else PAGE

    cdef Py_ssize_t give_back(self, Py_ssize_t consumed) noexcept:
        cdef Py_ssize_t unit = self.unit()
        cdef Py_ssize_t cut = ((<Py_ssize_t>self.base + consumed) & ~(unit - 1)) - <Py_ssize_t>self.base
        if cut <= 0 or cut >= self.size or munmap(self.base, cut) != 0:
            return 0
        self.base, self.size, self.dirty = self.base + cut, self.size - cut, max(self.dirty - cut, 0)
        self.placed()
        return cut

    cdef void release(self) noexcept:
        if self.size and (CACHE is None or not CACHE.put(self)):
            unmap(self, self.base, self.size)
        self.base, self.size = EMPTY, 0

    cdef str kind(self):
        return "mapped"


cdef char *placeholder(Py_ssize_t size) noexcept:
    """A 1 GiB-aligned PROT_NONE range to move into, or NULL (then the kernel picks)."""
    try:
        return map_anonymous(size, PROT_NONE)
    except MemoryError:  # no room for the alignment slack: an unaligned move still works
        return NULL
