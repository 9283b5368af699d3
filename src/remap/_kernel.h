/* remap's kernel layer: every system call the storage kinds make that is more than one call,
   mremap's stand-in, the SIGBUS guard and its table, and the atomics of shared headers.
   Declared for Cython in _kernel.pxd; nothing here touches a Python object. */
#ifndef REMAP_KERNEL_H
#define REMAP_KERNEL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* mremap; Python.h defines it first */
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(MREMAP_MAYMOVE) && !defined(REMAP_NO_MREMAP)
#define REMAP_HAVE_MREMAP 1
#else
#define REMAP_HAVE_MREMAP 0
#endif

#define REMAP_BIG_ENDIAN (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_DONTDUMP
#define MADV_DONTDUMP 16
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_DONTFORK
#define MADV_DONTFORK 10
#endif
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

/* Whether a resize may move the mapping. */
typedef enum { REMAP_IN_PLACE = 0, REMAP_MAY_MOVE = 1 } remap_move;

/* Mappings this large are 1 GiB-aligned, so mremap moves them a PUD entry at a time. */
#define REMAP_GIANT ((size_t)1 << 30)

/* A fresh private anonymous mapping of size bytes (MAP_NORESERVE when PROT_NONE), 1 GiB-aligned
   when it is that large: 1 GiB alignment on both sides lets mremap move whole PUD entries
   (~0.03 ms a GiB instead of ~0.2 ms). MAP_FAILED with errno set if it cannot be made. */
static void *remap_map_anonymous(size_t size, int prot)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | (prot == PROT_NONE ? MAP_NORESERVE : 0);
    size_t slack = size >= REMAP_GIANT ? REMAP_GIANT : 0;
    char *raw = mmap(NULL, size + slack, prot, flags, -1, 0), *start;
    if (raw == MAP_FAILED || slack == 0)
        return raw;
    start = (char *)(((uintptr_t)raw + REMAP_GIANT - 1) & ~(uintptr_t)(REMAP_GIANT - 1));
    if (start > raw)
        munmap(raw, (size_t)(start - raw));
    if (raw + slack > start)
        munmap(start + size, (size_t)(raw + slack - start));
    return start;
}

/* Resize a private anonymous mapping. It moves only with REMAP_MAY_MOVE: to target when that is
   not NULL (whatever is mapped there is replaced), else where the kernel likes.
   Without mremap: shrink by unmapping the tail, grow by map-copy-unmap. */
static void *remap_resize(void *old, size_t old_size, size_t new_size, remap_move move,
                          void *target)
{
#if REMAP_HAVE_MREMAP
    if (move == REMAP_MAY_MOVE && target != NULL)
        return mremap(old, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    return mremap(old, old_size, new_size, move == REMAP_MAY_MOVE ? MREMAP_MAYMOVE : 0);
#else
    void *moved;
    if (new_size <= old_size) {
        if (new_size < old_size && munmap((char *)old + new_size, old_size - new_size) != 0)
            return MAP_FAILED;
        return old;
    }
    if (move == REMAP_IN_PLACE) {
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

/* Grow a shared mapping of fd (from file offset 0) to new_size bytes: in place, or, with
   REMAP_MAY_MOVE, wherever the kernel likes. Nothing is copied: the pages are the file's.
   Without mremap: map the tail right after the mapping, or map the file anew. */
static void *remap_grow_shared(void *old, size_t old_size, size_t new_size, remap_move move,
                               int fd, int prot)
{
#if REMAP_HAVE_MREMAP
    (void)fd; (void)prot;
    return mremap(old, old_size, new_size, move == REMAP_MAY_MOVE ? MREMAP_MAYMOVE : 0);
#else
    char *end = (char *)old + old_size;
    void *moved, *tail = mmap(end, new_size - old_size, prot, MAP_SHARED | MAP_FIXED_NOREPLACE,
                              fd, (off_t)old_size);
    if (tail == end)
        return old;
    if (tail != MAP_FAILED)
        munmap(tail, new_size - old_size);
    if (move == REMAP_IN_PLACE) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    moved = mmap(NULL, new_size, prot, MAP_SHARED, fd, 0);
    if (moved != MAP_FAILED)
        munmap(old, old_size);
    return moved;
#endif
}

/* memfd_secret(2) (Linux 5.14+): pages out of the kernel's direct map; -1 with errno if absent. */
static int remap_memfd_secret(void)
{
    return (int)syscall(SYS_memfd_secret, O_CLOEXEC);
}

/* The SIGBUS guard. A file or shared-memory object another process cuts short leaves our
   mapping of it with pages that fault (SIGBUS). Guarded ranges get private zero pages there
   instead, and a mark their storage reports at its next access. Ranges are kept in a fixed
   table the handler reads with atomic loads; the handler is installed with the first range. */
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

/* Shared headers' fields are read and written by several processes at once. */
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

#endif
