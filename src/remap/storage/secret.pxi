# Secret storage (Buffer(secret=True)): a mapping of its own between guard pages, locked in RAM, left out
# of core dumps and wiped in forked children. It grows by moving page tables (never a copy), and
# every byte it lets go of is zeroed first.


cdef object memlock_error(int err, Py_ssize_t size, str what):
    """MemoryError for a lock the kernel refused, naming RLIMIT_MEMLOCK and its value."""
    soft, hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    limit = "unlimited" if soft == resource.RLIM_INFINITY else f"{soft} bytes"
    return MemoryError(f"{what} {size} locked bytes failed ({os.strerror(err)}): RLIMIT_MEMLOCK "
                       f"is {limit}; raise it (ulimit -l) or pass strict=False")


@cython.final
@cython.internal
cdef class SecretStorage(Storage):
    """Secret bytes at base, with a PROT_NONE guard page before and after them."""

    cdef char *mapping        # the leading guard page
    cdef int secret_fd        # the memfd_secret descriptor, or -1
    cdef bint secretmem       # the pages come from memfd_secret (out of the kernel's direct map)
    cdef bint strict          # refuse, rather than accept less protection than asked for
    cdef dict obtained        # what the kernel granted: see Buffer.protection

    def __cinit__(self):
        self.secret_fd = -1

    @staticmethod
    cdef SecretStorage allocate(Py_ssize_t size, bint strict, bint secretmem):
        cdef SecretStorage storage = SecretStorage.__new__(SecretStorage)
        storage.mapped, storage.secret, storage.strict = True, True, strict
        storage.release_at, storage.base = PY_SSIZE_T_MAX, EMPTY
        storage.obtained = {"locked": False, "no_dump": False, "wipe_on_fork": False,
                            "guard_pages": False, "secretmem": False}
        if secretmem:
            probe = remap_memfd_secret()
            if probe < 0 and strict:
                raise_errno(errno, "memfd_secret (secretmem) is not available")
            if probe < 0:
                storage.obtained["unavailable"] = f"secretmem: {os.strerror(errno)}"
            else:
                close(probe)
                storage.secretmem = True
        storage.place(round_up(max(size, 1), PAGE))
        return storage

    cdef int place(self, Py_ssize_t size) except -1:
        """Map size bytes between guard pages, protected, and move the bytes there.

        Anonymous pages move with mremap: page tables, never a copy. secretmem pages cannot
        (nor can anything in the fallback build): they are copied and the old ones zeroed before
        they are unmapped, so no copy is left behind either way.
        """
        check_memory(size - self.size)  # locked pages: never more than there is
        cdef char *guarded = map_anonymous(size + 2 * PAGE, PROT_NONE)
        cdef char *target = guarded + PAGE
        cdef bint moving = self.size and REMAP_HAVE_MREMAP and not self.secretmem
        if self.secretmem and remap_wipe_on_fork(target, size) != 0:  # before a byte is there
            munmap(guarded, size + 2 * PAGE)
            raise MemoryError("no memory to record a secretmem range")
        try:
            if moving and not self.move(target, size):
                err = errno
                raise memlock_error(err, size, "mremap of") if err in (EAGAIN, ENOMEM) else \
                    OSError(err, f"mremap of a secret buffer failed: {os.strerror(err)}")
            if not moving:
                self.map_fresh(target, size)
        except BaseException:
            if self.secretmem:
                remap_wipe_forget(target)
            munmap(guarded, size + 2 * PAGE)
            raise
        if moving:  # the bytes moved; their old guard pages stay behind
            munmap(self.mapping, PAGE)
            munmap(self.base + self.size, PAGE)
        elif self.size:
            munmap(self.mapping, self.size + 2 * PAGE)
        if self.size and self.secretmem:
            remap_wipe_forget(self.base)
        self.mapping, self.base, self.size = guarded, target, size
        self.obtained["guard_pages"] = True
        return 0

    cdef bint move(self, char *target, Py_ssize_t size) noexcept:
        """mremap the bytes to target; not strict, past RLIMIT_MEMLOCK, they move unlocked."""
        if remap_resize(self.base, self.size, size, REMAP_MAY_MOVE, target) != MAP_FAILED:
            return True
        if self.strict or errno not in (EAGAIN, ENOMEM) or not self.obtained["locked"]:
            return False
        munlock(self.base, self.size)
        self.obtained["locked"] = False
        self.obtained["unavailable"] = f"mlock: over RLIMIT_MEMLOCK at {size} bytes"
        return remap_resize(self.base, self.size, size, REMAP_MAY_MOVE, target) != MAP_FAILED

    cdef int map_fresh(self, char *target, Py_ssize_t size) except -1:
        """New protected pages at target (over the reservation), with the old bytes moved in."""
        cdef int fd = -1
        if self.secretmem:
            fd = remap_memfd_secret()
            if fd < 0 or ftruncate(fd, size) != 0:
                err = errno
                if fd >= 0:
                    close(fd)
                raise_errno(err, f"memfd_secret of {size} bytes failed")
        if mmap(target, size, PROT_READ | PROT_WRITE, MAP_FIXED | (MAP_SHARED if fd >= 0 else
                MAP_PRIVATE | MAP_ANONYMOUS), fd, 0) == MAP_FAILED:
            err = errno
            if fd >= 0:
                close(fd)
            raise_errno(err, f"mmap of {size} secret bytes failed")
        try:
            self.protect(target, size)
        except BaseException:
            if fd >= 0:
                close(fd)
            raise
        if self.size:
            copy_bytes(self, target, None, self.base, min(self.size, size))
            wipe_bytes(self, self.base, self.size)
        if self.secret_fd >= 0:
            close(self.secret_fd)
        self.secret_fd = fd
        return 0

    cdef int protect(self, char *start, Py_ssize_t size) except -1:
        """Lock, keep out of dumps and wipe on fork; raise, or record less if not strict."""
        if self.secretmem:  # the kernel locks secretmem and leaves it out of dumps itself
            self.obtained["locked"] = self.obtained["no_dump"] = self.obtained["secretmem"] = True
            self.advise(start, size, MADV_DONTFORK, "wipe_on_fork")  # a child gets no mapping
            return 0
        if mlock(start, size) != 0:
            err = errno
            if self.strict:
                raise memlock_error(err, size, "mlock of")
            self.obtained["locked"] = False  # and it stays so: part of the bytes is not locked
            self.obtained["unavailable"] = f"mlock: {os.strerror(err)}"
        else:  # locked only if every part of it is
            self.obtained["locked"] = "mlock" not in self.obtained.get("unavailable", "")
        self.advise(start, size, MADV_DONTDUMP, "no_dump")
        self.advise(start, size, MADV_WIPEONFORK, "wipe_on_fork")
        return 0

    cdef int advise(self, char *start, Py_ssize_t size, int advice, str name) except -1:
        if madvise(start, size, advice) == 0:
            self.obtained[name] = True
        elif self.strict:
            raise_errno(errno, f"madvise for {name} failed")
        else:
            self.obtained["unavailable"] = f"{name}: {os.strerror(errno)}"
        return 0

    cdef Py_ssize_t fit(self, Py_ssize_t n) noexcept:
        return round_up(max(n, 1), PAGE)

    cdef bint resize_in_place(self, Py_ssize_t size) except -1:
        return size <= self.size  # shrinking keeps the pages (Buffer zeroes the bytes it drops)

    cdef int resize_moving(self, Py_ssize_t size) except -1:
        return self.place(size)

    cdef void release(self) noexcept:
        if self.size:
            remap_wipe(self.base, min(self.dirty, self.size))
            munmap(self.mapping, self.size + 2 * PAGE)
            if self.secretmem:
                remap_wipe_forget(self.base)
        if self.secret_fd >= 0:
            close(self.secret_fd)
        self.base, self.size, self.mapping, self.secret_fd = EMPTY, 0, NULL, -1

    cdef Storage sibling(self):
        return SecretStorage.allocate(PAGE, self.strict, self.secretmem)

    cdef dict protection(self):
        return dict(self.obtained)

    cdef str kind(self):
        return "secret"
