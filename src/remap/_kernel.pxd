# The kernel layer: the system calls remap makes (C in _kernel.h), their named flags, and the
# one helper that turns a failed call's errno into an exception.

from libc.errno cimport ENOMEM, errno
from libc.string cimport strerror
from posix.mman cimport (
    MADV_DONTNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MAP_ANONYMOUS, MAP_FAILED, MAP_FIXED,
    MAP_PRIVATE, MAP_SHARED, MS_SYNC, PROT_NONE, PROT_READ, PROT_WRITE, madvise, mmap, mprotect,
    msync, munmap,
)

cdef extern from "<sys/mman.h>" nogil:
    int mlock(const void *addr, size_t length)
    int munlock(const void *addr, size_t length)

cdef extern from "<unistd.h>" nogil:
    int ftruncate(int fd, long length)

cdef extern from "_kernel.h" nogil:
    const int REMAP_HAVE_MREMAP
    const int REMAP_BIG_ENDIAN
    const int MADV_DONTDUMP, MADV_WIPEONFORK, MADV_DONTFORK
    const size_t REMAP_GIANT
    void remap_wipe(void *p, size_t n)
    ctypedef enum remap_move:
        REMAP_IN_PLACE
        REMAP_MAY_MOVE
    void *remap_map_anonymous(size_t size, int prot)
    void *remap_resize(void *old, size_t old_size, size_t new_size, remap_move move, void *target)
    void *remap_grow_shared(void *old, size_t old_size, size_t new_size, remap_move move, int fd,
                            int prot)
    int remap_memfd_secret()
    ctypedef struct remap_guard_slot:
        pass
    remap_guard_slot *remap_guard_add(char *start, char *end, int fd)
    void remap_guard_set(remap_guard_slot *slot, char *start, char *end)
    void remap_guard_remove(remap_guard_slot *slot)
    int remap_guard_hit(remap_guard_slot *slot)
    int remap_wipe_on_fork(char *start, size_t size)
    void remap_wipe_forget(char *start)
    long long remap_load(const long long *field)
    void remap_store(long long *field, long long value)
    void remap_store_max(long long *field, long long value)
    long long remap_add(long long *field, long long value)

cdef extern from "_kernel_files.h" nogil:
    const int F_ADD_SEALS, F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_DUPFD_CLOEXEC
    const long long REMAP_UNSIZED
    int remap_memfd(const char *name, int seals)
    int remap_seals(int fd)
    long long remap_file_size(int fd)
    int remap_read_exactly(int fd, void *out, size_t size, long long offset)
    int remap_write_all(int fd, const void *data, size_t size, long long offset)
    int remap_allocate_file(int fd, long long start, long long end)
    long long remap_file_room(int fd)
    long long remap_memory_available()

cdef extern from "_kernel_threads.h" nogil:
    unsigned int remap_fork_epoch()
    unsigned int remap_idle_ticket()
    void remap_idle_wait(unsigned int ticket)
    void remap_idle_announce()
    int remap_threads_init()

cdef extern from "<fcntl.h>" nogil:
    const int F_GETFL, O_APPEND, O_ACCMODE, O_WRONLY, O_RDWR
    int fcntl(int fd, int command, ...)


cdef inline Py_ssize_t round_up(Py_ssize_t n, Py_ssize_t unit) noexcept nogil:
    """n rounded up to a multiple of unit, a power of two."""
    return (n + unit - 1) & ~(unit - 1)


cdef inline int raise_errno(int err, str what) except -1:
    """Raise for an errno a system call set: MemoryError for ENOMEM, else OSError (its subclass)."""
    message = f"{what}: {strerror(err).decode()}"
    if err == ENOMEM:
        raise MemoryError(message)
    raise OSError(err, message)


cdef inline char *map_anonymous(Py_ssize_t size, int prot) except NULL:
    """A fresh private anonymous mapping of size bytes (1 GiB-aligned from 1 GiB up), or raise."""
    cdef void *start = remap_map_anonymous(size, prot)
    if start == MAP_FAILED:
        raise_errno(errno, f"mmap of {size} bytes failed")
    return <char *>start
