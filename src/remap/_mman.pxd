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
    #include <unistd.h>

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

    /* A file or shared-memory object another process cuts short leaves our mapping of it with
       pages that fault (SIGBUS). Guarded ranges get private zero pages there instead, and a
       mark their storage reports at its next access. Ranges are kept in a fixed table the
       handler reads with atomic loads; the handler is installed with the first range. */
    #include <signal.h>
    #include <stdint.h>
    #define REMAP_GUARD_SLOTS 1024

    typedef struct { char *start; char *end; int hit; } remap_guard_slot;
    static remap_guard_slot remap_guards[REMAP_GUARD_SLOTS];
    static struct sigaction remap_guard_previous;
    static uintptr_t remap_guard_page;

    static void remap_guard_handler(int sig, siginfo_t *info, void *context)
    {
        char *address = (char *)info->si_addr;
        int i;
        (void)sig; (void)context;
        for (i = 0; i < REMAP_GUARD_SLOTS; i++) {
            char *start = __atomic_load_n(&remap_guards[i].start, __ATOMIC_ACQUIRE);
            char *end = __atomic_load_n(&remap_guards[i].end, __ATOMIC_ACQUIRE);
            char *page = (char *)((uintptr_t)address & ~(remap_guard_page - 1));
            if (start != NULL && start <= address && address < end
                    && mmap(page, (size_t)(end - page), PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
                __atomic_store_n(&remap_guards[i].hit, 1, __ATOMIC_RELEASE);
                return;  /* the access runs again, on zeros */
            }
        }
        sigaction(SIGBUS, &remap_guard_previous, NULL);  /* not ours: it faults again, as before */
    }

    /* Guard [start, end) in a free slot; return the slot, or -1 (then the range is unguarded). */
    static int remap_guard_add(char *start, char *end)
    {
        int i;
        if (remap_guard_page == 0) {
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_sigaction = remap_guard_handler;
            action.sa_flags = SA_SIGINFO;
            sigemptyset(&action.sa_mask);
            if (sigaction(SIGBUS, &action, &remap_guard_previous) != 0)
                return -1;
            remap_guard_page = (uintptr_t)sysconf(_SC_PAGESIZE);
        }
        for (i = 0; i < REMAP_GUARD_SLOTS; i++) {
            char *expected = NULL;
            if (__atomic_load_n(&remap_guards[i].start, __ATOMIC_ACQUIRE) == NULL) {
                remap_guards[i].hit = 0;
                __atomic_store_n(&remap_guards[i].end, end, __ATOMIC_RELEASE);
                if (__atomic_compare_exchange_n(&remap_guards[i].start, &expected, start, 0,
                                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                    return i;
            }
        }
        return -1;
    }

    static void remap_guard_set(int slot, char *start, char *end)
    {
        if (slot < 0)
            return;
        __atomic_store_n(&remap_guards[slot].end, end, __ATOMIC_RELEASE);
        __atomic_store_n(&remap_guards[slot].start, start, __ATOMIC_RELEASE);
    }

    static void remap_guard_remove(int slot)
    {
        if (slot >= 0)
            __atomic_store_n(&remap_guards[slot].start, NULL, __ATOMIC_RELEASE);
    }

    static int remap_guard_hit(int slot)
    {
        return slot >= 0 && __atomic_load_n(&remap_guards[slot].hit, __ATOMIC_ACQUIRE);
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
    int remap_guard_add(char *start, char *end) nogil
    void remap_guard_set(int slot, char *start, char *end) nogil
    void remap_guard_remove(int slot) nogil
    int remap_guard_hit(int slot) nogil
    long long remap_load(const long long *field) nogil
    void remap_store(long long *field, long long value) nogil
    void remap_store_max(long long *field, long long value) nogil
    long long remap_add(long long *field, long long value) nogil
