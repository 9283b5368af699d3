# The mapping cache: freed mappings kept for reuse, so churned buffers find faulted pages.

# The cache's default limits: what glibc may keep of freed memory, in a few entries.
cdef Py_ssize_t CACHE_MAX_BYTES = 64 << 20
cdef int CACHE_MAX_ENTRIES = 8

cdef enum:
    CACHE_SLOTS = 32  # the most entries the cache can be configured to hold


cdef struct CachedMapping:
    char *base
    Py_ssize_t size
    Py_ssize_t dirty   # bytes [dirty, size) are zero
    bint hugepages
    bint advised


@cython.final
@cython.internal
cdef class MappingCache:
    """A few freed private mappings, oldest first, under a byte limit; process-wide."""

    cdef CachedMapping entries[CACHE_SLOTS]
    cdef int count
    cdef int max_entries
    cdef Py_ssize_t held       # bytes in the cache
    cdef Py_ssize_t max_bytes
    cdef Py_ssize_t hits, misses

    cdef bint take(self, MappedStorage mapping, Py_ssize_t size, Py_ssize_t most) noexcept:
        """Hand mapping the smallest cached region of size to most bytes; False if none fits."""
        cdef int i, best = -1
        cdef CachedMapping entry
        with cython.critical_section(self):
            for i in range(self.count):
                if size <= self.entries[i].size <= most and (
                        best < 0 or self.entries[i].size < self.entries[best].size):
                    best = i
            if best < 0:
                self.misses += 1
                return False
            entry = self.entries[best]
            self.drop(best)
            self.hits += 1
        mapping.base, mapping.size, mapping.dirty = entry.base, entry.size, entry.dirty
        mapping.advised = entry.advised and entry.hugepages == mapping.hugepages
        return True

    cdef bint put(self, MappedStorage mapping) noexcept:
        """Keep mapping's region for reuse, evicting the oldest to make room; False if it won't fit.

        One grown past the byte limit out of a cached entry is cut back to that entry's size: a
        rare huge buffer returns the faulted pages it borrowed, as glibc's heap keeps its own,
        and the medium buffers after it do not fault fresh ones in.
        """
        if mapping.size > self.max_bytes and 0 < mapping.borrowed <= self.max_bytes:
            mapping.resize_in_place(mapping.borrowed)
        if mapping.size > self.max_bytes or self.max_entries == 0:
            return False
        with cython.critical_section(self):
            self.evict(self.max_entries - 1, self.max_bytes - mapping.size)
            self.entries[self.count] = CachedMapping(mapping.base, mapping.size, mapping.dirty,
                                                     mapping.hugepages, mapping.advised)
            self.count += 1
            self.held += mapping.size
        return True

    cdef void evict(self, int entries, Py_ssize_t held) noexcept:
        """Unmap the oldest entries until at most entries are left, holding at most held bytes."""
        while self.count and (self.count > entries or self.held > held):
            munmap(self.entries[0].base, self.entries[0].size)
            self.drop(0)

    cdef void drop(self, int index) noexcept:
        """Forget entry index, keeping the others in age order."""
        self.held -= self.entries[index].size
        memmove(&self.entries[index], &self.entries[index + 1],
                (self.count - index - 1) * sizeof(CachedMapping))
        self.count -= 1

    def configure(self, max_bytes, max_entries):
        """Set the limits, freeing what no longer fits."""
        cdef Py_ssize_t limit = size_arg(max_bytes, "max_bytes")
        cdef Py_ssize_t slots = size_arg(max_entries, "max_entries")
        if slots > CACHE_SLOTS:
            raise ValueError(f"max_entries must be at most {CACHE_SLOTS}, got {max_entries}")
        with cython.critical_section(self):
            self.max_bytes, self.max_entries = limit, slots
            self.evict(slots, limit)

    def info(self):
        """The cache's limits, contents and hit counts, as a dict."""
        with cython.critical_section(self):
            return {"max_bytes": self.max_bytes, "max_entries": self.max_entries,
                    "entries": self.count, "bytes": self.held, "hits": self.hits,
                    "misses": self.misses}


cdef MappingCache CACHE = MappingCache.__new__(MappingCache)
CACHE.max_bytes, CACHE.max_entries = CACHE_MAX_BYTES, CACHE_MAX_ENTRIES


def configure_cache(max_bytes=None, max_entries=None):
    """Limit the mapping cache (0 bytes or 0 entries turns it off); return the old limits."""
    old = CACHE.info()
    CACHE.configure(old["max_bytes"] if max_bytes is None else max_bytes,
                    old["max_entries"] if max_entries is None else max_entries)
    return {"max_bytes": old["max_bytes"], "max_entries": old["max_entries"]}


def cache_info():
    """What the mapping cache holds: entries, bytes, limits, hits and misses."""
    return CACHE.info()
