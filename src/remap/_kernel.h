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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(MREMAP_MAYMOVE) && !defined(REMAP_NO_MREMAP)
#define REMAP_HAVE_MREMAP 1
#else
#define REMAP_HAVE_MREMAP 0
#endif

#include "_kernel_files.h"  /* memfds, seals, file sizes and allocation, free memory */

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

/* Zero n bytes at p in a way the compiler may not drop even if p is never read again (what
   explicit_bzero does; that needs glibc 2.25, and the wheels target 2.17). */
static inline void remap_wipe(void *p, size_t n)
{
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

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
   instead, and a mark their storage reports at its next access. What it promises:
   - it handles only faults inside remap's own guarded mappings, however many there are (the
     table grows in chunks that are never freed, so the handler reads it without locks);
   - every other SIGBUS (a fault elsewhere, kill -BUS, raise()) goes to the handler that was
     installed before remap's, or gets the default action (the process dies), as without remap;
   - a handler installed after remap's that re-raises with raise() (faulthandler does) still
     gets the cut mapping repaired: a raised SIGBUS first looks for a guarded file cut short. */
#define REMAP_GUARD_CHUNK 1024

typedef struct { char *start; char *end; int fd; int hit; } remap_guard_slot;
typedef struct remap_guard_chunk {
    remap_guard_slot slots[REMAP_GUARD_CHUNK];
    struct remap_guard_chunk *next;
} remap_guard_chunk;

static remap_guard_chunk remap_guard_table;
static struct sigaction remap_guard_previous;
static uintptr_t remap_guard_page;

/* Map private zero pages over [from, slot's end) and mark the slot hit; 1 if that worked. */
static int remap_guard_zero(remap_guard_slot *slot, char *from, char *end)
{
    char *page = (char *)((uintptr_t)from & ~(remap_guard_page - 1));
    if (mmap(page, (size_t)(end - page), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
        return 0;
    __atomic_store_n(&slot->hit, 1, __ATOMIC_RELEASE);
    return 1;
}

/* A fault at address: if it lies in a guarded range, zero the rest of that range. */
static int remap_guard_repair_fault(char *address)
{
    remap_guard_chunk *chunk;
    int i;
    for (chunk = &remap_guard_table; chunk; chunk = __atomic_load_n(&chunk->next, __ATOMIC_ACQUIRE))
        for (i = 0; i < REMAP_GUARD_CHUNK; i++) {
            remap_guard_slot *slot = &chunk->slots[i];
            char *start = __atomic_load_n(&slot->start, __ATOMIC_ACQUIRE);
            char *end = __atomic_load_n(&slot->end, __ATOMIC_ACQUIRE);
            if (start != NULL && start <= address && address < end)
                return remap_guard_zero(slot, address, end);
        }
    return 0;
}

/* A raised SIGBUS (no fault address): zero the cut part of every guarded file cut short. */
static int remap_guard_repair_cuts(void)
{
    remap_guard_chunk *chunk;
    int i, repaired = 0;
    struct stat status;
    for (chunk = &remap_guard_table; chunk; chunk = __atomic_load_n(&chunk->next, __ATOMIC_ACQUIRE))
        for (i = 0; i < REMAP_GUARD_CHUNK; i++) {
            remap_guard_slot *slot = &chunk->slots[i];
            char *start = __atomic_load_n(&slot->start, __ATOMIC_ACQUIRE);
            char *end = __atomic_load_n(&slot->end, __ATOMIC_ACQUIRE);
            char *cut;
            if (start == NULL || fstat(slot->fd, &status) != 0)
                continue;
            cut = start + (((uintptr_t)status.st_size + remap_guard_page - 1)
                           & ~(remap_guard_page - 1));
            if (cut < end && !__atomic_load_n(&slot->hit, __ATOMIC_ACQUIRE))
                repaired |= remap_guard_zero(slot, cut, end);
        }
    return repaired;
}

/* Not ours: what would have happened without remap's handler. */
static void remap_guard_forward(int sig, siginfo_t *info, void *context)
{
    struct sigaction previous = remap_guard_previous, fallback;
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction != NULL)
            previous.sa_sigaction(sig, info, context);
        return;
    }
    if (previous.sa_handler == SIG_IGN && info->si_code <= 0)
        return;  /* an ignored signal; a fault cannot be ignored, so it falls through */
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        return;
    }
    memset(&fallback, 0, sizeof fallback);  /* the default action: the process dies of SIGBUS */
    fallback.sa_handler = SIG_DFL;
    sigaction(SIGBUS, &fallback, NULL);
    if (info->si_code <= 0)
        raise(sig);  /* blocked while this runs: delivered, and fatal, when it returns */
    /* a fault: returning runs the access again, which faults into the default action */
}

static void remap_guard_handler(int sig, siginfo_t *info, void *context)
{
    int saved = errno;
    int ours = info->si_code > 0 ? remap_guard_repair_fault((char *)info->si_addr)
                                 : remap_guard_repair_cuts();
    errno = saved;
    if (!ours)
        remap_guard_forward(sig, info, context);
}

/* Guard [start, end), a shared mapping of fd from its offset 0; NULL only if memory ran out. */
static remap_guard_slot *remap_guard_add(char *start, char *end, int fd)
{
    remap_guard_chunk *chunk = &remap_guard_table;
    int i;
    if (remap_guard_page == 0) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = remap_guard_handler;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        remap_guard_page = (uintptr_t)sysconf(_SC_PAGESIZE);
        if (sigaction(SIGBUS, &action, &remap_guard_previous) != 0)
            return NULL;
    }
    for (;;) {
        for (i = 0; i < REMAP_GUARD_CHUNK; i++) {
            remap_guard_slot *slot = &chunk->slots[i];
            char *expected = NULL;
            if (__atomic_load_n(&slot->start, __ATOMIC_ACQUIRE) != NULL)
                continue;
            __atomic_store_n(&slot->end, NULL, __ATOMIC_RELEASE);  /* claimed: matches nothing */
            if (!__atomic_compare_exchange_n(&slot->start, &expected, (char *)-1, 0,
                                             __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                continue;
            slot->fd = fd;
            slot->hit = 0;
            __atomic_store_n(&slot->end, end, __ATOMIC_RELEASE);
            __atomic_store_n(&slot->start, start, __ATOMIC_RELEASE);
            return slot;
        }
        if (__atomic_load_n(&chunk->next, __ATOMIC_ACQUIRE) == NULL) {
            remap_guard_chunk *fresh = calloc(1, sizeof *fresh), *none = NULL;
            if (fresh == NULL)
                return NULL;
            if (!__atomic_compare_exchange_n(&chunk->next, &none, fresh, 0,
                                             __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                free(fresh);
        }
        chunk = __atomic_load_n(&chunk->next, __ATOMIC_ACQUIRE);
    }
}

/* Point a slot at [start, end): never, even for a moment, at a range that mixes old and new. */
static void remap_guard_set(remap_guard_slot *slot, char *start, char *end)
{
    if (slot == NULL)
        return;
    __atomic_store_n(&slot->end, NULL, __ATOMIC_RELEASE);
    __atomic_store_n(&slot->start, (char *)-1, __ATOMIC_RELEASE);
    __atomic_store_n(&slot->end, end, __ATOMIC_RELEASE);
    __atomic_store_n(&slot->start, start, __ATOMIC_RELEASE);
}

static void remap_guard_remove(remap_guard_slot *slot)
{
    if (slot != NULL) {
        __atomic_store_n(&slot->end, NULL, __ATOMIC_RELEASE);
        __atomic_store_n(&slot->start, NULL, __ATOMIC_RELEASE);
    }
}

static int remap_guard_hit(remap_guard_slot *slot)
{
    return slot != NULL && __atomic_load_n(&slot->hit, __ATOMIC_ACQUIRE);
}

/* Memory a forked child must not inherit as it is (memfd_secret pages, which MADV_DONTFORK
   keeps out of the child): in the child, fresh zero pages take its place, as MADV_WIPEONFORK
   gives other secret buffers, so no pointer into it faults there. */
typedef struct { char *start; size_t size; } remap_wiped_range;
static remap_wiped_range *remap_wiped;
static size_t remap_wiped_count, remap_wiped_room;
static int remap_wipe_registered;

#ifdef __GLIBC__
/* pthread_atfork, as glibc itself defines it (a static stub over this entry, which libc.so.6
   exports from 2.3.2 on): called directly, the wheels need libc only, not glibc 2.17's
   libpthread. */
extern int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                             void *dso_handle);
extern void *__dso_handle __attribute__((weak, visibility("hidden")));
#define remap_atfork_child(child) \
    __register_atfork(NULL, NULL, (child), &__dso_handle ? __dso_handle : NULL)
#else
#define remap_atfork_child(child) pthread_atfork(NULL, NULL, (child))
#endif

static void remap_wipe_in_child(void)
{
    size_t i;
    for (i = 0; i < remap_wiped_count; i++)
        if (remap_wiped[i].start != NULL)
            mmap(remap_wiped[i].start, remap_wiped[i].size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

/* Wipe [start, start + size) in forked children; 0, or -1 with errno (ENOMEM). */
static int remap_wipe_on_fork(char *start, size_t size)
{
    size_t i;
    if (!remap_wipe_registered) {
        if (remap_atfork_child(remap_wipe_in_child) != 0) {
            errno = ENOMEM;
            return -1;
        }
        remap_wipe_registered = 1;
    }
    for (i = 0; i < remap_wiped_count && remap_wiped[i].start != NULL; i++)
        ;
    if (i == remap_wiped_room) {
        size_t room = remap_wiped_room ? 2 * remap_wiped_room : 16;
        remap_wiped_range *grown = realloc(remap_wiped, room * sizeof *grown);
        if (grown == NULL) {
            errno = ENOMEM;
            return -1;
        }
        remap_wiped = grown;
        remap_wiped_room = room;
    }
    remap_wiped[i].start = start;
    remap_wiped[i].size = size;
    if (i == remap_wiped_count)
        remap_wiped_count++;
    return 0;
}

/* Stop wiping the range that starts at start. */
static void remap_wipe_forget(char *start)
{
    size_t i;
    for (i = 0; i < remap_wiped_count; i++)
        if (remap_wiped[i].start == start)
            remap_wiped[i].start = NULL;
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

#include "_kernel_threads.h"  /* waiting for busy storages: the GIL-free sections */

#endif
