/* Objects as files: an object KEY of a bucket whose view has path P is the regular file
 * P/KEY beneath DIR/fs, reached through safepath.h, so no link is followed and nothing
 * outside DIR/fs is touched. Directories are made as keys need them and are not objects
 * themselves; links, devices and .snapshot directories are never objects. A put writes
 * a temporary file beside the target and renames it over, so a reader never sees half
 * an object and a link in the target's place is replaced, never written through.
 * Functions return 0 or an errno value (ELOOP: a link on the way; ENOTDIR: a file where
 * a directory is needed; EISDIR: a directory where the object would be). */
#ifndef SIM_S3_FS_H
#define SIM_S3_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define S3_FS_MAX_KEY 1024
#define S3_FS_UPLOAD_PREFIX ".vms-sim-upload."

/* A key that can be a file: 1..1024 bytes, no empty, ".", ".." or .snapshot components,
 * no leading or trailing '/', not one of our temporary names. */
bool s3_fs_valid_key(const char *key);

int s3_fs_write(int root_fd, const char *bucket_path, const char *key, const char *data, size_t len);
/* Opens the object for reading; ENOENT when it is missing or not a regular file. */
int s3_fs_open(int root_fd, const char *bucket_path, const char *key, int *fd, struct stat *st);
/* Removes the object (0 also when there is none, as S3 answers). */
int s3_fs_remove(int root_fd, const char *bucket_path, const char *key);
/* The MD5 of the file's content as 32 hex digits: S3's ETag of a simple upload. */
int s3_fs_md5_hex(int fd, char out[33]);

typedef struct {
    char *key;
    uint64_t size;
    int64_t mtime_ms;
} s3_fs_object;

/* Every object whose key starts with prefix, sorted by key (bytewise, as S3 orders
 * them); *out is malloc'd (free with s3_fs_objects_free). A missing bucket directory
 * holds no objects. */
int s3_fs_list(int root_fd, const char *bucket_path, const char *prefix, s3_fs_object **out, size_t *n);
void s3_fs_objects_free(s3_fs_object *objects, size_t n);

#endif
