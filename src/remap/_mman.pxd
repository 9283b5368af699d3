# Kernel memory-mapping calls for the core, and mremap's stand-in where it is missing.

from posix.mman cimport (
    MADV_DONTNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MAP_ANONYMOUS, MAP_FAILED, MAP_FIXED,
    MAP_NORESERVE, MAP_PRIVATE, MAP_SHARED, MS_SYNC, PROT_NONE, PROT_READ, PROT_WRITE,
    madvise, mmap, mprotect, msync, munmap,
)

cdef extern from *:
    """
    #include <errno.h>
    #include <string.h>
    #include <sys/mman.h>

    #if defined(MREMAP_MAYMOVE) && !defined(REMAP_NO_MREMAP)
    #define REMAP_HAVE_MREMAP 1
    #else
    #define REMAP_HAVE_MREMAP 0
    #endif

    /* Resize a private anonymous mapping. It moves only when may_move is set: to target when
       that is not NULL (whatever is mapped there is replaced), else where the kernel likes.
       Without mremap: shrink by unmapping the tail, grow by map-copy-unmap. */
    static void *remap_resize(void *old, size_t old_size, size_t new_size, int may_move,
                              void *target)
    {
    #if REMAP_HAVE_MREMAP
        if (may_move && target != NULL)
            return mremap(old, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, target);
        return mremap(old, old_size, new_size, may_move ? MREMAP_MAYMOVE : 0);
    #else
        void *moved;
        if (new_size <= old_size) {
            if (new_size < old_size && munmap((char *)old + new_size, old_size - new_size) != 0)
                return MAP_FAILED;
            return old;
        }
        if (!may_move) {
            errno = ENOMEM;
            return MAP_FAILED;
        }
        moved = mmap(target, new_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | (target != NULL ? MAP_FIXED : 0), -1, 0);
        if (moved == MAP_FAILED)
            return MAP_FAILED;
        memcpy(moved, old, old_size);
        munmap(old, old_size);
        return moved;
    #endif
    }

    #ifndef MAP_FIXED_NOREPLACE
    #define MAP_FIXED_NOREPLACE 0x100000
    #endif

    /* Grow a shared mapping of fd (from file offset 0) to new_size bytes: in place, or, when
       may_move is set, wherever the kernel likes. Nothing is copied: the pages are the file's.
       Without mremap: map the tail right after the mapping, or map the file anew. */
    static void *remap_grow_shared(void *old, size_t old_size, size_t new_size, int may_move,
                                   int fd, int prot)
    {
    #if REMAP_HAVE_MREMAP
        (void)fd; (void)prot;
        return mremap(old, old_size, new_size, may_move ? MREMAP_MAYMOVE : 0);
    #else
        char *end = (char *)old + old_size;
        void *moved, *tail = mmap(end, new_size - old_size, prot, MAP_SHARED | MAP_FIXED_NOREPLACE,
                                  fd, (off_t)old_size);
        if (tail == end)
            return old;
        if (tail != MAP_FAILED)
            munmap(tail, new_size - old_size);
        if (!may_move) {
            errno = ENOMEM;
            return MAP_FAILED;
        }
        moved = mmap(NULL, new_size, prot, MAP_SHARED, fd, 0);
        if (moved != MAP_FAILED)
            munmap(old, old_size);
        return moved;
    #endif
    }

    /* The shared header's fields are read and written by several processes at once. */
    static inline long long remap_load(const long long *field)
    {
        return __atomic_load_n(field, __ATOMIC_ACQUIRE);
    }
    static inline void remap_store(long long *field, long long value)
    {
        __atomic_store_n(field, value, __ATOMIC_RELEASE);
    }
    static inline void remap_store_max(long long *field, long long value)
    {
        long long seen = __atomic_load_n(field, __ATOMIC_ACQUIRE);
        while (seen < value && !__atomic_compare_exchange_n(field, &seen, value, 0,
                                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            ;
    }
    static inline long long remap_add(long long *field, long long value)
    {
        return __atomic_add_fetch(field, value, __ATOMIC_ACQ_REL);
    }
    """
    const int REMAP_HAVE_MREMAP
    void *remap_resize(void *old, size_t old_size, size_t new_size, int may_move,
                       void *target) nogil
    void *remap_grow_shared(void *old, size_t old_size, size_t new_size, int may_move, int fd,
                            int prot) nogil
    long long remap_load(const long long *field) nogil
    void remap_store(long long *field, long long value) nogil
    void remap_store_max(long long *field, long long value) nogil
    long long remap_add(long long *field, long long value) nogil
