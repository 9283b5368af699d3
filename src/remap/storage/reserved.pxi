# Reserved storage: address space reserved up front and committed as it grows; it never moves.


@cython.final
@cython.internal
cdef class ReservedStorage(Storage):
    """max_size bytes of address space (PROT_NONE), made writable with mprotect as it grows."""

    cdef Py_ssize_t reserved  # bytes of address space, all of it at base

    @staticmethod
    cdef ReservedStorage allocate(Py_ssize_t max_size, bint hugepages):
        cdef ReservedStorage reservation = ReservedStorage.__new__(ReservedStorage)
        cdef Py_ssize_t size = round_up(max(max_size, 1), HUGE if max_size >= HUGE else PAGE)
        reservation.base, reservation.mapped = EMPTY, True
        reservation.base = map_anonymous(size, PROT_NONE)
        reservation.reserved, reservation.release_at = size, PY_SSIZE_T_MAX  # it never gives back its front
        if size >= HUGE or not hugepages:
            madvise(reservation.base, size, MADV_HUGEPAGE if hugepages else MADV_NOHUGEPAGE)
        return reservation

    cdef Py_ssize_t fit(self, Py_ssize_t n) noexcept:
        return min(mapping_size(n), self.reserved)

    cdef bint resize_in_place(self, Py_ssize_t size) except -1:
        """Commit the first size bytes of the reservation and free the rest."""
        cdef Py_ssize_t old = self.size
        if size > self.reserved:
            return False
        if size > old and mprotect(self.base + old, size - old, PROT_READ | PROT_WRITE):
            raise_errno(errno, f"mprotect of {size - old} bytes failed")
        if size < old:
            unadvise(self, self.base + size, old - size)
            mprotect(self.base + size, old - size, PROT_NONE)
            self.dirty = min(self.dirty, size)
        self.size = size
        return True

    cdef void release(self) noexcept:
        if self.reserved:
            unmap(self, self.base, self.reserved)
        self.base, self.size, self.reserved = EMPTY, 0, 0

    cdef str kind(self):
        return "reserved"
