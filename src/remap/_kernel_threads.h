/* Waiting for busy storages (remap's GIL-free sections, _unlocked.pxi): a generation number
   that the end of every GIL-free section bumps, and a futex on it. A thread that finds a
   storage busy takes the number while it holds the GIL, releases the GIL and sleeps until the
   number changes, then takes the GIL and looks again. No lock is held anywhere: nothing to
   repair in a forked child, and no libpthread. A fork leaves other threads' sections behind,
   unfinished: the child bumps the fork epoch, and busy marks of an older epoch count as none. */

#ifndef REMAP_KERNEL_THREADS_H
#define REMAP_KERNEL_THREADS_H

#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint32_t remap_idle_generation;
static int remap_idle_sleepers;
static uint32_t remap_epoch = 1;

static void remap_bump_epoch(void)
{
    __atomic_add_fetch(&remap_epoch, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&remap_idle_sleepers, 0, __ATOMIC_SEQ_CST);
}

static uint32_t remap_fork_epoch(void)
{
    return __atomic_load_n(&remap_epoch, __ATOMIC_ACQUIRE);
}

/* The generation now: taken with the GIL held, after seeing a storage busy. */
static uint32_t remap_idle_ticket(void)
{
    return __atomic_load_n(&remap_idle_generation, __ATOMIC_SEQ_CST);
}

/* Sleep (without the GIL) until a section has ended since ticket was taken. */
static void remap_idle_wait(uint32_t ticket)
{
    __atomic_add_fetch(&remap_idle_sleepers, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&remap_idle_generation, __ATOMIC_SEQ_CST) == ticket)
        syscall(SYS_futex, &remap_idle_generation, FUTEX_WAIT_PRIVATE, ticket, NULL, NULL, 0);
    __atomic_sub_fetch(&remap_idle_sleepers, 1, __ATOMIC_SEQ_CST);
}

/* A section ended (its storages are idle again): wake whoever sleeps. The sleeper counts itself
   before it looks at the number, and the number moves before the count is read, so either the
   sleeper sees the new number or this call sees the sleeper. */
static void remap_idle_announce(void)
{
    __atomic_add_fetch(&remap_idle_generation, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&remap_idle_sleepers, __ATOMIC_SEQ_CST))
        syscall(SYS_futex, &remap_idle_generation, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Once, at import: a forked child voids the busy marks of the sections it left behind. */
static int remap_threads_init(void)
{
    return remap_atfork_child(remap_bump_epoch);
}

#endif
