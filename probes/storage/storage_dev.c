/* The folder under test: that it exists, is a writable folder on a file
 * system with O_DIRECT, and which block device and file system back it. */
#include "storage.h"

#include "sysinfo.h"

#include "error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define TMPFS_MAGIC_ 0x01021994UL
#define RAMFS_MAGIC_ 0x858458f6UL

/* statfs f_type values of the common Linux file systems. */
static const struct {
    unsigned long magic;
    const char *name;
} fs_names[] = {
    {0xEF53UL, "ext2/3/4"},      {0x58465342UL, "xfs"},     {0x9123683EUL, "btrfs"},
    {0xF2F52010UL, "f2fs"},      {0x2FC12FC1UL, "zfs"},     {TMPFS_MAGIC_, "tmpfs"},
    {RAMFS_MAGIC_, "ramfs"},     {0x794C7630UL, "overlay"}, {0x6969UL, "nfs"},
    {0xFF534D42UL, "cifs"},      {0x65735546UL, "fuse"},    {0x4D44UL, "vfat"},
    {0x5346544EUL, "ntfs"},      {0x9FA0UL, "proc"},        {0x62656572UL, "sysfs"},
    {0x01021997UL, "9p"},        {0x2011BAB0UL, "exfat"},
};

static void fs_name(unsigned long magic, char *out, size_t len)
{
    for (size_t i = 0; i < sizeof fs_names / sizeof fs_names[0]; i++)
        if (fs_names[i].magic == magic) {
            snprintf(out, len, "%s", fs_names[i].name);
            return;
        }
    snprintf(out, len, "0x%lx", magic);
}

/* The last part of a path into out, cut to fit. */
static void base_name(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    size_t n = strlen(b);
    if (n >= len) n = len - 1;
    memcpy(out, b, n);
    out[n] = '\0';
}

/* /sys/dev/block/MAJ:MIN links to the device's folder: a partition's
 * folder (it holds a "partition" file) sits inside its disk's, and the
 * disk's queue/rotational says whether it spins. A device number with no
 * block device (overlay, network and virtual file systems) stays unknown. */
static void block_device(dev_t dev, qb_storage_dev *out)
{
    snprintf(out->device, sizeof out->device, "unknown");
    snprintf(out->disk, sizeof out->disk, "unknown");
    out->rotational = -1;
    char link[64], real[PATH_MAX], disk[PATH_MAX], path[PATH_MAX + 32], line[64];
    snprintf(link, sizeof link, "/sys/dev/block/%u:%u", major(dev), minor(dev));
    if (!realpath(link, real)) return;
    base_name(real, out->device, sizeof out->device);
    snprintf(disk, sizeof disk, "%s", real);
    snprintf(path, sizeof path, "%s/partition", real);
    if (access(path, F_OK) == 0) {
        char *slash = strrchr(disk, '/');
        if (slash) *slash = '\0';
    }
    base_name(disk, out->disk, sizeof out->disk);
    snprintf(path, sizeof path, "%s/queue/rotational", disk);
    if (qb_read_line(path, line, sizeof line) == 0) out->rotational = atoi(line) != 0;
}

int qb_storage_dev_probe(const char *dir, qb_storage_dev *out)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(dir, &st) != 0)
        return qb_fail(QB_EUSAGE, "qbench probe storage --path: '%s': %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return qb_fail(QB_EUSAGE, "qbench probe storage --path: '%s' is not a folder", dir);
    struct statfs fs;
    struct statvfs vfs;
    if (statfs(dir, &fs) != 0 || statvfs(dir, &vfs) != 0)
        return qb_fail(QB_EUSAGE, "qbench probe storage --path: '%s': %s", dir, strerror(errno));
    out->fs_magic = (unsigned long)fs.f_type;
    fs_name(out->fs_magic, out->fs_type, sizeof out->fs_type);
    if (out->fs_magic == TMPFS_MAGIC_ || out->fs_magic == RAMFS_MAGIC_)
        return qb_fail(QB_EUSAGE,
                       "qbench probe storage --path: '%s' is on %s, which has no O_DIRECT; give a "
                       "folder on a disk", dir, out->fs_type);
    if (vfs.f_blocks == 0)
        return qb_fail(QB_EUSAGE,
                       "qbench probe storage --path: '%s' is on %s, which has no blocks (not a "
                       "disk's file system); give a folder on a disk", dir, out->fs_type);
    if (vfs.f_flag & ST_RDONLY)
        return qb_fail(QB_EUSAGE,
                       "qbench probe storage --path: '%s' is on a read-only file system; give a "
                       "writable folder", dir);
    if (access(dir, W_OK | X_OK) != 0)
        return qb_fail(QB_EUSAGE, "qbench probe storage --path: '%s' is not writable: %s", dir,
                       strerror(errno));
    out->free_bytes = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    block_device(st.st_dev, out);
    return QB_OK;
}
