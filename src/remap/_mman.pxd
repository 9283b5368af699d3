# Kernel memory-mapping calls for the core, and mremap's stand-in where it is missing.

from posix.mman cimport (
    MADV_DONTNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MAP_ANONYMOUS, MAP_FAILED,
    MAP_NORESERVE, MAP_PRIVATE, PROT_NONE, PROT_READ, PROT_WRITE,
    madvise, mmap, mprotect, munmap,
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
    """
    const int REMAP_HAVE_MREMAP
    void *remap_resize(void *old, size_t old_size, size_t new_size, int may_move,
                       void *target) nogil
