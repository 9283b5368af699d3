/* remap's kernel layer, files and memory: memfds and their seals, file sizes, reads and
   allocation, and the memory free for locked or shared pages. Included by _kernel.h. */
#ifndef REMAP_KERNEL_FILES_H
#define REMAP_KERNEL_FILES_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* memfds and their seals, for C libraries older than them (the wheels target glibc 2.17). */
#if !defined(SYS_memfd_create) && defined(__x86_64__)
#define SYS_memfd_create 319
#elif !defined(SYS_memfd_create) && defined(__aarch64__)
#define SYS_memfd_create 279
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif
#ifndef F_DUPFD_CLOEXEC
#define F_DUPFD_CLOEXEC 1030
#endif

/* Files and memory, asked of the kernel in C so that no Python code (an audit hook, another
   thread while the GIL is released, a garbage collection) runs between a storage's checks and
   its use of the memory they protect. Each returns -1 with errno set when the call fails. */

/* A new memfd (close-on-exec) with seals added (0: none). */
static int remap_memfd(const char *name, int seals)
{
    int err, fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || seals == 0 || fcntl(fd, F_ADD_SEALS, seals) == 0)
        return fd;
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

/* The seals on fd; 0 if it is not a memfd. */
static int remap_seals(int fd)
{
    int seals = fcntl(fd, F_GET_SEALS);
    return seals < 0 ? 0 : seals;
}

/* fd's file size in bytes. */
static long long remap_file_size(int fd)
{
    struct stat status;
    return fstat(fd, &status) == 0 ? (long long)status.st_size : -1;
}

/* Read exactly size bytes from offset of fd into out; -1 with errno EINVAL if it holds fewer. */
static int remap_read_exactly(int fd, void *out, size_t size, long long offset)
{
    size_t done = 0;
    while (done < size) {
        ssize_t got = pread(fd, (char *)out + done, size - done, (off_t)(offset + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EINVAL;
            return -1;
        }
        done += (size_t)got;
    }
    return 0;
}

/* pwrite all size bytes from data at offset: 0, or the errno. */
static int remap_write_all(int fd, const void *data, size_t size, long long offset)
{
    size_t done = 0;
    while (done < size) {
        ssize_t wrote = pwrite(fd, (const char *)data + done, size - done, (off_t)(offset + done));
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote < 0)
            return errno;
        done += (size_t)wrote;
    }
    return 0;
}

/* Allocate fd's bytes [start, end), growing the file to end: 0, or the errno. A file system
   without fallocate gets the size (ftruncate) without a reservation. */
static int remap_allocate_file(int fd, long long start, long long end)
{
    int err;
    if (end <= start)
        return 0;
    do
        err = posix_fallocate(fd, (off_t)start, (off_t)(end - start));
    while (err == EINTR);
    if (err != EOPNOTSUPP && err != EINVAL)
        return err;
    if (remap_file_size(fd) < 0)
        return errno;
    if (remap_file_size(fd) < end && ftruncate(fd, (off_t)end) != 0)
        return errno;
    return 0;
}

/* What remap_file_room says of a file system with no size (a memfd's): its room is memory. */
#define REMAP_UNSIZED (-2LL)

/* Bytes free on fd's file system for this process (root may use the reserved blocks). */
static long long remap_file_room(int fd)
{
    struct statvfs stats;
    if (fstatvfs(fd, &stats) != 0)
        return -1;
    if (stats.f_blocks == 0)
        return REMAP_UNSIZED;
    return (long long)(geteuid() == 0 ? stats.f_bfree : stats.f_bavail) * (long long)stats.f_frsize;
}

/* path's first room - 1 bytes as a NUL-terminated string in out. */
static int remap_read_text(const char *path, char *out, size_t room)
{
    size_t done = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (done < room - 1) {
        ssize_t got = read(fd, out + done, room - 1 - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        done += (size_t)got;
    }
    close(fd);
    out[done] = '\0';
    return 0;
}

/* A field of /proc/meminfo ("\nMemFree:", in kB there) in bytes; -1 if absent. */
static long long remap_meminfo_field(const char *text, const char *field)
{
    const char *at = strstr(text, field);
    return at == NULL ? -1 : strtoll(at + strlen(field), NULL, 10) * 1024;
}

/* Bytes this process's memory cgroup (v2) may still use; -1 if it has no limit or none is found. */
static long long remap_cgroup_room(void)
{
    char text[4096], path[4096], *line, *end;
    long long limit, current;
    if (remap_read_text("/proc/self/cgroup", text, sizeof text) != 0)
        return -1;
    line = strncmp(text, "0::", 3) == 0 ? text : strstr(text, "\n0::");
    if (line == NULL)
        return -1;
    line += line == text ? 3 : 4;
    end = strchr(line, '\n');
    if (end != NULL)
        *end = '\0';
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", line);
    if (remap_read_text(path, text, 64) != 0 || strncmp(text, "max", 3) == 0)
        return -1;
    limit = strtoll(text, NULL, 10);
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.current", line);
    if (remap_read_text(path, text, 64) != 0)
        return -1;
    current = strtoll(text, NULL, 10);
    return limit > current ? limit - current : 0;
}

/* Bytes of memory and swap free now (MemAvailable, else MemFree, plus SwapFree), at most what
   this process's memory cgroup has left. */
static long long remap_memory_available(void)
{
    char text[16384] = "\n";
    long long free, swap, room;
    if (remap_read_text("/proc/meminfo", text + 1, sizeof text - 1) != 0)
        return -1;
    free = remap_meminfo_field(text, "\nMemAvailable:");
    if (free < 0)
        free = remap_meminfo_field(text, "\nMemFree:");
    swap = remap_meminfo_field(text, "\nSwapFree:");
    free = (free < 0 ? 0 : free) + (swap < 0 ? 0 : swap);
    room = remap_cgroup_room();
    return room >= 0 && room < free ? room : free;
}

#endif
