# GIL-free sections: large copies, fills, wipes and searches, and the slow system calls
# (posix_fallocate, msync, pwrite), run with the GIL released, so the program's other threads
# keep running meanwhile.
#
# The rule: the storages whose bytes a section touches are busy while it runs. Every operation
# on a Buffer, BufferIO or Ring first waits (the GIL released) until its storage is idle, then
# runs: another thread sees the object as it was before the operation or after it, never
# between, as if the operation had held the GIL (bytearray's semantics). A section starts where
# its caller holds the GIL and has run no Python code since it last waited, so its storages are
# idle then; inside, it runs no Python code and reads no object's fields, only bytes and the
# kernel. Nothing is ever busy while Python code can run in this thread: a __del__ that touched
# the object would wait for itself.

# From this many bytes on, work releases the GIL. Alone, releasing costs nothing from 64 KiB up;
# beside a thread that keeps the interpreter busy, every release hands it the GIL and taking it
# back waits out its switch interval (5 ms), so a loop of receive-sized copies would run at a
# hundredth of its speed. From 1 MiB the copy itself is long enough to be worth giving the others,
# and what is held stays below a millisecond (python -m remap bench --only threads measures it).
# REMAP_GIL_FREE_MIN=1 in the environment releases it for every byte (the tests run so once).
cdef Py_ssize_t GIL_FREE_MIN = max(int(os.environ.get("REMAP_GIL_FREE_MIN", 1 << 20)), 1)


def _gil_free_min(n=None):
    """The size from which work releases the GIL; set to n bytes (tests, the bench) if given."""
    global GIL_FREE_MIN
    cdef Py_ssize_t old = GIL_FREE_MIN
    if n is not None:
        GIL_FREE_MIN = max(<Py_ssize_t>n, 1)
    return old


cdef enum Work:  # what work_unlocked does to the bytes
    MOVE         # memmove from src
    ZERO         # memset to zero
    WIPE         # a secret's zeroing, which the compiler may not drop


cdef inline void set_busy(Storage storage) noexcept:
    if storage is None:
        return
    if storage.busy_epoch != remap_fork_epoch():  # marks from before a fork are void
        storage.busy, storage.busy_epoch = 0, remap_fork_epoch()
    storage.busy += 1


cdef inline void mark_busy(Storage target, Storage source) noexcept:
    """Mark the storages (None: memory no other thread can reach) busy: a section starts."""
    set_busy(target)
    set_busy(source)


cdef void mark_idle(Storage target, Storage source) noexcept:
    """The section is over (the GIL taken back): the storages are idle again; wake the waiters."""
    if target is not None:
        target.busy -= 1
    if source is not None:
        source.busy -= 1
    remap_idle_announce()


cdef bint waited_for(Storage storage) except -1:
    """If a GIL-free section is at work on storage's bytes, wait (the GIL released) until one
    ends and return True: the caller then looks again, at its storage as it is by then."""
    cdef unsigned int ticket
    if storage.busy == 0:
        return False
    if storage.busy_epoch != remap_fork_epoch():  # left busy by a thread a fork left behind
        storage.busy = 0
        return False
    ticket = remap_idle_ticket()
    with nogil:
        remap_idle_wait(ticket)
    return True  # storage may be gone now: not touched again


cdef void work_unlocked(Work work, Storage target, char *dst, Storage source, const char *src,
                        Py_ssize_t n) noexcept:
    """Do work on n bytes at dst without the GIL, target's and source's bytes busy meanwhile."""
    mark_busy(target, source)
    with nogil:
        if work == MOVE:
            memmove(dst, src, n)
        elif work == ZERO:
            memset(dst, 0, n)
        else:
            remap_wipe(dst, n)
    mark_idle(target, source)


cdef inline void copy_bytes(Storage target, char *dst, Storage source, const char *src,
                            Py_ssize_t n) noexcept:
    """memcpy of n bytes from source's bytes at src (None: bytes no thread can change) into
    target's at dst; without the GIL from GIL_FREE_MIN bytes on."""
    if n < GIL_FREE_MIN:
        memcpy(dst, src, n)
    else:
        work_unlocked(MOVE, target, dst, source, src, n)


cdef inline void move_bytes(Storage target, char *dst, Storage source, const char *src,
                            Py_ssize_t n) noexcept:
    """copy_bytes for ranges that may overlap (memmove)."""
    if n < GIL_FREE_MIN:
        memmove(dst, src, n)
    else:
        work_unlocked(MOVE, target, dst, source, src, n)


cdef inline void zero_bytes(Storage target, char *dst, Py_ssize_t n) noexcept:
    """memset of n bytes of target's at dst to zero; without the GIL from GIL_FREE_MIN on."""
    if n < GIL_FREE_MIN:
        memset(dst, 0, n)
    else:
        work_unlocked(ZERO, target, dst, None, NULL, n)


cdef inline void wipe_bytes(Storage target, char *dst, Py_ssize_t n) noexcept:
    """zero_bytes for a secret's bytes (remap_wipe: no compiler can leave it out)."""
    if n < GIL_FREE_MIN:
        remap_wipe(dst, n)
    else:
        work_unlocked(WIPE, target, dst, None, NULL, n)


cdef inline bytes bytes_from(Storage source, const char *src, Py_ssize_t n):
    """A new bytes object holding n bytes of source's at src."""
    if n < GIL_FREE_MIN:
        return PyBytes_FromStringAndSize(src, n)
    result = PyBytes_FromStringAndSize(NULL, n)  # runs no Python code: bytes are not collected
    work_unlocked(MOVE, None, PyBytes_AS_STRING(result), source, src, n)
    return result


cdef void unmap(Storage owner, void *start, Py_ssize_t size) noexcept:
    """munmap size bytes of owner's (freeing touched pages takes ~0.1 ms a MiB here)."""
    if size < GIL_FREE_MIN:
        munmap(start, size)
        return
    mark_busy(owner, None)
    with nogil:
        munmap(start, size)
    mark_idle(owner, None)


cdef void unadvise(Storage owner, char *start, Py_ssize_t size) noexcept:
    """madvise(MADV_DONTNEED) size bytes of owner's: their pages go back, as unmap's do."""
    if size < GIL_FREE_MIN:
        madvise(start, size, MADV_DONTNEED)
        return
    mark_busy(owner, None)
    with nogil:
        madvise(start, size, MADV_DONTNEED)
    mark_idle(owner, None)


cdef const char *find_bytes(Storage source, const char *text, Py_ssize_t n, const char *needle,
                            Py_ssize_t m) noexcept:
    """memmem: the first place needle's m bytes are in source's n bytes at text, or NULL."""
    cdef const char *found
    if n < GIL_FREE_MIN:
        return <const char *>memmem(text, n, needle, m)
    mark_busy(source, None)
    with nogil:
        found = <const char *>memmem(text, n, needle, m)
    mark_idle(source, None)
    return found


remap_threads_init()
