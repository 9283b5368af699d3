# BufferCore: what a Buffer holds, and the one place that decides what may move. The public
# face, bytearray's API, is Buffer (faces/buffer.pxi), which adds only methods.

cdef char *BYTE_FORMAT = "B"  # what a buffer export's format says: unsigned bytes
# A buffer drained from the front keeps this much of its room for what comes next (a receive
# buffer refills at once); a shrink to nothing would hand the mapping to the cache and the next
# receive would take it back, zeroing it for a stranger's bytes.
cdef Py_ssize_t DRAINED_ROOM = 4 << 20


cdef enum Placement:  # where _put and _place put the bytes
    REPLACE_RANGE     # in place of bytes [lo, hi)
    OVERWRITE         # over the bytes from lo on, as a file write does


@cython.internal
@cython.auto_pickle(False)  # Buffer pickles itself (__reduce_ex__)
@cython.freelist(16)  # a small Buffer (which adds no fields) made and dropped skips the allocator
@cython.no_gc  # its one object field, the storage, holds no references (subclasses get GC)
cdef class BufferCore:
    """A Buffer's fields, storage decisions, length changes, writes and buffer exports."""

    cdef char *data             # the first live byte; NULL once closed, never NULL while open
    cdef Py_ssize_t length      # bytes in use
    cdef Py_ssize_t capacity_   # bytes writable from data on without a system call
    cdef Py_ssize_t head        # consumed bytes between the storage's base and data
    cdef Py_ssize_t max_size_   # the most bytes this buffer may hold
    cdef Py_ssize_t exports_    # live buffer exports
    cdef Py_ssize_t spare_views # those of them writable() made: they show room past the length
    cdef Storage storage        # where the bytes live; never None while the object lives
    cdef bint hugepages
    cdef uint64_t spare_serial  # the serial of the storage writable() last handed bytes out of
    cdef char *spare_base       # that storage's base then (a move changes it; a give-back follows)
    cdef char *spare_end        # the end of what it handed out: commit() may reach that far
    cdef char *spare_high       # the highest such end on that storage: no stranger's bytes below

    def __cinit__(self):  # takes no arguments, so a subclass's __new__ may take any
        self._adopt(NO_STORAGE, 0)
        self.max_size_, self.hugepages = MAX_BYTES, True

    cdef inline void _renew(self, Py_ssize_t n) noexcept:
        """A kept buffer's fields (faces/kept.pxi) as a new buffer's holding n bytes of its heap
        region: exactly n (a growth reallocates, as a new one's does), under a new serial."""
        renew_region(self.storage, n)
        self._adopt(self.storage, 0)
        self.length, self.exports_, self.max_size_, self.hugepages = n, 0, MAX_BYTES, True
        self.spare_serial, self.spare_base, self.spare_end, self.spare_high = 0, NULL, NULL, NULL

    # -- storage: the one place that decides what may move --

    cdef inline void _adopt(self, Storage storage, Py_ssize_t head) noexcept:
        """Hold storage, with its first head bytes consumed; re-read where the bytes are."""
        self.storage, self.head = storage, head
        self.data = storage.base + head
        self.capacity_ = storage.size - head

    cdef inline void _mark_dirty(self, Py_ssize_t end) noexcept:
        """Bytes up to end (from data) may now be nonzero."""
        if self.head + end > self.storage.dirty:
            self.storage.dirty = self.head + end

    cdef inline int _room(self, Py_ssize_t needed) except -1:
        """Make capacity at least needed bytes, growing geometrically."""
        if needed > self.capacity_:
            self._grow(needed)
        return 0

    cdef int _grow(self, Py_ssize_t needed) except -1:
        """Room for needed bytes: drop a consumed prefix that outweighs the live bytes, else grow."""
        if needed > self.max_size_:
            raise MemoryError(f"{needed} bytes is more than this buffer's max_size={self.max_size_}"
                              if self.max_size_ < MAX_BYTES else
                              f"{needed} bytes is larger than any mapping can be")
        if self.head and not self.exports_ and (
                self.head >= self.length or self.head + needed > self.max_size_):
            self._compact()  # O(length) <= O(bytes consumed): amortized O(1) a byte
            if needed <= self.capacity_:
                return 0
        cdef Py_ssize_t target = min(max(needed, self.capacity_ + (self.capacity_ >> 1)),
                                     self.max_size_ - self.head)
        target = self.storage.room_ahead(needed, target)
        try:
            self._reshape(max(target, needed))
        except MemoryError:
            if target <= needed:
                raise
            self._reshape(needed)
        if needed > self.capacity_:
            raise MemoryError(f"{needed} bytes do not fit in this buffer's max_size={self.max_size_}")
        return 0

    cdef void _compact(self) noexcept:
        """Move the live bytes to the storage's base, dropping the consumed prefix (no exports!)."""
        move_bytes(self.storage, self.storage.base, None, self.data, self.length)
        self._adopt(self.storage, 0)

    cdef int _reshape(self, Py_ssize_t capacity) except -1:
        """Room for capacity (>= length) bytes from the head, keeping the bytes.

        In place where the storage can; else, only while nothing is exported, moved or copied
        into a region of the kind that suits the new size.
        """
        cdef Storage storage = self.storage
        cdef Py_ssize_t size = storage.fit(self.head + capacity)
        if size < storage.size:  # what writable() handed out past the new end is not ours after
            self._check_room_unshown("give back the room past the end")
            self.spare_end = min(self.spare_end, storage.base + size)
            self.spare_high = min(self.spare_high, storage.base + size)
        if storage.resize_in_place(size):
            self._adopt(storage, self.head)
            return 0
        if self.exports_:
            raise self._pinned(f"move it to make room for {capacity} bytes")
        cdef Storage fresh = storage.successor(capacity, self.hugepages)
        if fresh is None:
            storage.resize_moving(size)
            self._adopt(storage, self.head)
            return 0
        copy_bytes(fresh, fresh.base, storage, self.data, self.length)
        if fresh.dirty < self.length:
            fresh.dirty = self.length
        storage.release()
        self._adopt(fresh, 0)
        return 0

    cdef int _start_over(self, Storage storage, Py_ssize_t max_size) except -1:
        """Hold storage (max_size 0: no limit) in place of what an earlier initialization left."""
        self._wait_idle()
        if self.exports_:
            raise self._pinned("initialize it again")
        if self.data != EMPTY:  # initialized (or closed) before
            self._free()
        self._adopt(storage, 0)
        self.max_size_ = max_size or MAX_BYTES
        return 0

    cdef void _free(self) noexcept:
        """Give the storage back: the buffer is empty and holds no memory (no exports!)."""
        self.storage.release()
        self._adopt(NO_STORAGE, 0)
        self.length = 0

    cdef int _check_room_unshown(self, str action) except -1:
        """BufferError while a writable() view shows the room past the length."""
        if self.spare_views:
            raise BufferError(f"cannot {action}: {self.spare_views} writable() view(s) of the "
                              f"room past the end alive; commit and release them first")
        return 0

    cdef object _pinned(self, str action):
        return BufferError(f"cannot {action}: {self.exports_} buffer export(s) alive "
                           f"(memoryview, numpy array, ...); release them first")

    cdef int _wait_idle(self) except -1:
        """Wait (the GIL released) while another thread's GIL-free section works on the bytes."""
        while self.storage.busy and waited_for(self.storage):
            pass
        return 0

    cdef inline int _sync_open(self) except -1:
        """Wait while another thread works on the bytes; ValueError if closed; else take up what
        other processes changed (shared memory, a file): their length, and a growth, which may map
        more and so move data."""
        if self.storage.busy:
            self._wait_idle()
        if self.data == NULL:
            raise ValueError("operation on a closed remap.Buffer")
        if self.storage.peers:
            self._sync()
        return 0

    cdef inline int _sync_writable(self) except -1:
        """_sync_open (which may move data), and TypeError if the bytes are read-only ("r" files)."""
        self._sync_open()
        if self.storage.readonly:
            raise TypeError(f"this {type(self).__name__} is read-only")
        return 0

    cdef int _sync(self) except -1:
        """Take the length other processes published, mapping more of the memory if it grew."""
        cdef Py_ssize_t n = self.storage.peer_length()
        if n > self.capacity_:
            self._reshape(n)
        self.length = n
        return 0

    cdef inline void _set_len(self, Py_ssize_t n) noexcept:
        """Set the length field, publishing it where others see the bytes."""
        self.length = n
        if self.storage.visible:
            self.storage.publish(n)

    # -- length --

    cdef int _set_length(self, Py_ssize_t n) except -1:
        """Set the length; new bytes read as zero, and a shrink gives back unused room."""
        cdef Py_ssize_t known_zero, old_length = self.length
        cdef bint shrinking = n < self.length
        if shrinking and self.exports_:
            raise self._pinned(f"shrink it from {self.length} to {n} bytes")
        if shrinking and self.storage.secret:
            wipe_bytes(self.storage, self.data + n, self.length - n)
        if n > self.length:
            if n > self.capacity_ and self.storage.visible:
                self._reshape(n)  # exactly: every byte of room here is allocated memory or disk
            self._room(n)
            known_zero = self.storage.dirty - self.head
            if known_zero > self.length:
                zero_bytes(self.storage, self.data + self.length, min(n, known_zero) - self.length)
            self._mark_dirty(n)
        self._set_len(n)
        if n == 0 and self.head:
            self._adopt(self.storage, 0)  # nothing left to keep: start again at the base
        if shrinking and n <= self.capacity_ >> 1:
            try:
                self._reshape(n)
            except MemoryError:  # realloc's rule: a shrink that fails keeps every byte
                self._set_len(old_length)
                raise
        return 0

    cdef int _consume(self, Py_ssize_t n) except -1:
        """Remove the first n bytes without moving the rest; whole consumed pages go back."""
        cdef bint first_stays = self.storage.visible or self.storage.secret  # byte 0 stays byte 0
        if n == self.length and first_stays:
            return self._set_length(0)
        if self.exports_:
            raise self._pinned(f"remove {n} bytes from its front")
        if first_stays:
            move_bytes(self.storage, self.data, None, self.data + n, self.length - n)
            if self.storage.secret:
                wipe_bytes(self.storage, self.data + self.length - n, n)
            self._set_len(self.length - n)
        elif n == self.length:
            self._drain()
        else:
            self._skip(n)
        return 0

    cdef int _drain(self) except -1:
        """Empty the buffer from the front, keeping room for what comes next (a receive buffer
        between messages), at most DRAINED_ROOM of it."""
        self._set_len(0)
        self._adopt(self.storage, 0)
        if self.capacity_ > DRAINED_ROOM:
            self._reshape(DRAINED_ROOM)  # in place: a mapping gives back its tail
        return 0

    cdef inline void _skip(self, Py_ssize_t n) noexcept:
        """Step the head past n bytes; once enough are behind it, their whole pages go back."""
        self.head += n
        self.data += n
        self.length -= n
        self.capacity_ -= n
        if self.head >= self.storage.release_at:
            spare_current = self._spare_is_current()
            self._adopt(self.storage, self.head - self.storage.give_back(self.head))
            if spare_current:  # the base moved past freed pages; the spare bytes stayed put
                self.spare_base = self.storage.base

    cdef inline int _append_bytes(self, const char *src, Py_ssize_t n, Storage source) except -1:
        """Copy n bytes from src (source's bytes, None: no Buffer's; never this buffer's) to the end."""
        cdef Py_ssize_t end = self.length + n
        if end > self.capacity_:
            self._grow(end)
        if self.storage.visible:  # a file's or memfd's pages: the storage writes them its way
            self.storage.write(self.head + self.length, src, n, source)
        else:
            copy_bytes(self.storage, self.data + self.length, source, src, n)
        self._set_len(end)
        self._mark_dirty(end)
        return 0

    cdef int _replace(self, Py_ssize_t lo, Py_ssize_t hi, const char *src, Py_ssize_t n,
                      Storage source) except -1:
        """Replace bytes [lo, hi) with n bytes from src (source's bytes, as _append_bytes takes).

        Replacing a prefix with fewer bytes consumes the difference: the rest does not move.
        """
        cdef Py_ssize_t new_length
        hi = min(hi, self.length)  # a callback may have shrunk the buffer since lo and hi were taken
        lo = min(lo, hi)
        if lo == self.length and n:
            return self._append_bytes(src, n, source)
        if lo == 0 and n < hi:
            self._consume(hi - n)
            hi = n
        new_length = self.length - (hi - lo) + n
        if new_length < self.length and self.exports_:
            raise self._pinned(f"shrink it from {self.length} to {new_length} bytes")
        if new_length > self.capacity_:
            self._grow(new_length)
        if hi != lo + n:
            move_bytes(self.storage, self.data + lo + n, None, self.data + hi, self.length - hi)
        if n:
            copy_bytes(self.storage, self.data + lo, source, src, n)
        if new_length < self.length:
            return self._set_length(new_length)
        self._set_len(new_length)
        self._mark_dirty(new_length)
        return 0

    cdef bint _append_bytes_like(self, object source) except -1:
        """Append source if it is bytes-like, bytes by the fast path; False if it is not."""
        if type(source) is bytes:
            self._append_bytes(PyBytes_AS_STRING(source), PyBytes_GET_SIZE(source), None)
        elif PyObject_CheckBuffer(source):
            self._replace_from(self.length, self.length, source)
        else:
            return False
        return True

    cdef Py_ssize_t _replace_from(self, Py_ssize_t lo, Py_ssize_t hi, object source) except -1:
        """Replace bytes [lo, hi) with a bytes-like object's bytes; return how many went in."""
        return self._put(REPLACE_RANGE, lo, hi, source)

    cdef inline Py_ssize_t _overwrite_from(self, Py_ssize_t at, object source) except -1:
        """Write a bytes-like object's bytes at offset at as a file write does; return how many."""
        return self._put(OVERWRITE, at, at, source)

    cdef Py_ssize_t _put(self, Placement placement, Py_ssize_t lo, Py_ssize_t hi,
                         object source) except -1:
        """Place a bytes-like object's bytes (copied first if they alias ours); return how many."""
        cdef Py_buffer view
        if type(source) is bytes:  # cannot point into this buffer: no export, no copy
            return self._place(placement, lo, hi, PyBytes_AS_STRING(source),
                               PyBytes_GET_SIZE(source), None)
        try:
            PyObject_GetBuffer(source, &view, PyBUF_SIMPLE)
        except BufferError:
            source = memoryview(source).tobytes()
            PyObject_GetBuffer(source, &view, PyBUF_SIMPLE)
        try:
            self._sync_open()
            if not self.storage.base <= <char *>view.buf < self.storage.base + self.storage.size:
                return self._place(placement, lo, hi, <char *>view.buf, view.len,
                                   exporting_storage(&view))
            source = PyBytes_FromStringAndSize(<char *>view.buf, view.len)  # it aliases us
        finally:
            PyBuffer_Release(&view)
        return self._place(placement, lo, hi, PyBytes_AS_STRING(source), PyBytes_GET_SIZE(source),
                           None)

    cdef Py_ssize_t _place(self, Placement placement, Py_ssize_t lo, Py_ssize_t hi,
                           const char *src, Py_ssize_t n, Storage source) except -1:
        """_replace [lo, hi) with n bytes from src; or OVERWRITE n bytes from lo as a file write
        does: zero-fill any gap between the end and lo, and write nothing for n = 0. Returns n."""
        self._sync_writable()
        if placement == OVERWRITE:
            if n == 0:
                return 0
            if lo + n <= self.length:  # within the bytes: nothing moves, grows or shows anew
                copy_bytes(self.storage, self.data + lo, source, src, n)
                return n
            if lo > self.length:
                self._set_length(lo)
            hi = min(lo + n, self.length)
        self._replace(lo, hi, src, n, source)
        return n

    cdef int _range(self, object start, object end, Py_ssize_t *lo, Py_ssize_t *hi) except -1:
        """start and end (None, or indexes as str.find takes them) clamped to the length.

        lo may end up past hi, or past the length, where nothing can be found.
        """
        lo[0] = 0 if start is None else PyNumber_AsSsize_t(start, NULL)
        hi[0] = PY_SSIZE_T_MAX if end is None else PyNumber_AsSsize_t(end, NULL)
        self._sync_open()
        if lo[0] < 0:
            lo[0] = max(lo[0] + self.length, 0)
        if hi[0] < 0:
            hi[0] = max(hi[0] + self.length, 0)
        hi[0] = min(hi[0], self.length)
        return 0

    cdef Py_ssize_t _find(self, object sub, object start, object end, bint backwards) except -2:
        """The index of sub in [start:end], searching from the front or the back; -1 if absent."""
        cdef Py_ssize_t lo, hi, last
        cdef const char *found
        cdef bytes needle = needle_bytes(sub)
        cdef const char *text = needle
        cdef Py_ssize_t n = len(needle)
        self._range(start, end, &lo, &hi)
        if hi - lo < n:
            return -1
        if n == 0:
            return hi if backwards else lo
        if not backwards:
            found = find_bytes(self.storage, self.data + lo, hi - lo, text, n)
            return -1 if found == NULL else found - self.data
        last = hi - n  # the last place a match can start
        while last >= lo:
            found = <const char *>memrchr(self.data + lo, text[0], last - lo + 1)
            if found == NULL:
                return -1
            if memcmp(found, text, n) == 0:
                return found - self.data
            last = found - self.data - 1
        return -1

    cdef int _reserve(self, Py_ssize_t n) except -1:
        if n > self.max_size_:
            raise MemoryError(f"{n} bytes is more than this buffer's max_size={self.max_size_}")
        if n > self.capacity_:
            self._reshape(n)
        return 0

    # -- the buffer protocol --

    @cython.critical_section
    def __getbuffer__(self, Py_buffer *buffer, int flags):
        self._sync_open()
        if self.storage.readonly and flags & PyBUF_WRITABLE:
            raise BufferError(f"this {type(self).__name__} is read-only")
        buffer.buf = self.data
        buffer.obj = self
        buffer.len = self.length
        buffer.readonly = self.storage.readonly
        buffer.itemsize = 1
        buffer.format = BYTE_FORMAT if flags & PyBUF_FORMAT else NULL
        buffer.ndim = 1
        buffer.shape = &buffer.len if (flags & PyBUF_ND) == PyBUF_ND else NULL
        buffer.strides = &buffer.itemsize if (flags & PyBUF_STRIDES) == PyBUF_STRIDES else NULL
        buffer.suboffsets = NULL
        buffer.internal = NULL
        self.exports_ += 1

    @cython.critical_section
    def __releasebuffer__(self, Py_buffer *buffer):
        self.exports_ -= 1

    # -- the receive shape: spare capacity handed out, then committed --

    cdef object _writable(self, SpareView spare, Py_ssize_t n):
        """A writable memoryview of n bytes (0: all spare capacity, at least one page's worth)
        past the end, which pins the buffer from now on, through spare (made by the caller
        before its checks: an allocation can run a collection). Bytes that could still hold
        another buffer's data (a cached mapping's, malloc's) are zeroed first: never seen here."""
        cdef Py_ssize_t known_zero, own, stale_end
        self._room(self.length + max(n, 1))
        if n == 0:
            n = self.capacity_ - self.length
        cdef char *start = self.data + self.length
        cdef char *high = self.spare_high if self._spare_is_current() else start
        own = high - start
        known_zero = self.storage.dirty - self.head - self.length
        stale_end = min(n, known_zero)
        if stale_end > own:
            zero_bytes(self.storage, start + max(own, 0), stale_end - max(own, 0))
        self._mark_dirty(self.length + n)
        self.spare_serial, self.spare_base = self.storage.serial, self.storage.base
        self.spare_end = start + n
        self.spare_high = max(high, start + n)
        spare.pin(self, start, n)
        return memoryview(spare)  # it may run a collection: the bytes are pinned already

    cdef inline bint _spare_is_current(self) noexcept:
        """True while the bytes writable() handed out are still where it handed them out."""
        return self.spare_serial == self.storage.serial and self.spare_base == self.storage.base

    cdef int _commit(self, Py_ssize_t n) except -1:
        """Make the first n bytes past the end part of the buffer: bytes writable() handed out."""
        cdef Py_ssize_t handed = (self.spare_end - (self.data + self.length)
                                  if self._spare_is_current() else 0)
        if n > handed:
            raise ValueError(f"cannot commit {n} bytes: writable() handed out "
                             f"{max(handed, 0)} past the end")
        self._set_len(self.length + n)
        return 0


    cdef int _extend(self, object source) except -1:
        if not self._append_bytes_like(source):
            items = bytearray(iterate(source, "extend remap.Buffer with"))
            self._replace_from(self.length, self.length, items)
        return 0

    cdef int _delete_extended(self, Py_ssize_t start, Py_ssize_t step, Py_ssize_t count) except -1:
        """Delete count bytes from start, step apart (step != 1)."""
        cdef Py_ssize_t i, cur, span
        if count <= 0:
            return 0
        if self.exports_:
            raise self._pinned(f"delete {count} of its bytes")
        if step < 0:
            start, step = start + step * (count - 1), -step
        for i in range(count):  # close each gap as CPython's bytearray does
            cur = start + i * step
            span = min(step - 1, self.length - cur - 1)
            memmove(self.data + cur - i, self.data + cur + 1, span)
        cur = start + count * step
        if cur < self.length:
            move_bytes(self.storage, self.data + cur - count, None, self.data + cur,
                       self.length - cur)
        return self._set_length(self.length - count)

    cdef Py_ssize_t _checked_index(self, Py_ssize_t i) except -1:
        """Index i (negative counts from the end), checked against the length now."""
        self._sync_open()
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError("remap.Buffer index out of range")
        return i


cdef Storage exporting_storage(Py_buffer *view):
    """The storage of the Buffer a buffer export shows (directly or through a memoryview), which a
    GIL-free copy from it holds busy; None for other exporters (their export pins them)."""
    cdef PyObject *exporter = <PyObject *>view.obj  # NULL for raw memory: no exporter behind it
    if exporter != NULL and isinstance(<object>exporter, memoryview):
        exporter = <PyObject *>PyMemoryView_GET_BUFFER(<object>exporter).obj
    if exporter != NULL and isinstance(<object>exporter, BufferCore):
        return (<BufferCore>exporter).storage
    return None


@cython.final
@cython.internal
cdef class SpareView:
    """A Buffer's spare bytes handed out by writable(): exported once, writable, and counted
    among the Buffer's exports from the moment they are chosen (before the memoryview over them
    is allocated) until that memoryview releases them, so the bytes cannot move meanwhile."""

    cdef BufferCore buffer  # the pinned Buffer, or None: not yet pinned, or released
    cdef char *start
    cdef Py_ssize_t length
    cdef bint exported

    cdef void pin(self, BufferCore buffer, char *start, Py_ssize_t length) noexcept:
        self.buffer, self.start, self.length = buffer, start, length
        buffer.exports_ += 1
        buffer.spare_views += 1

    cdef void unpin(self) noexcept:
        if self.buffer is not None:
            self.buffer.exports_ -= 1
            self.buffer.spare_views -= 1
            self.buffer = None

    def __getbuffer__(self, Py_buffer *buffer, int flags):
        if self.exported or self.buffer is None:
            raise BufferError("a writable() view is exported once: call writable() again")
        PyBuffer_FillInfo(buffer, self, self.start, self.length, 0, flags)
        self.exported = True

    def __releasebuffer__(self, Py_buffer *buffer):
        self.unpin()

    def __dealloc__(self):
        self.unpin()  # never exported: its memoryview failed to be made
