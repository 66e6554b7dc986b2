/* Names of what the driver makes on VAST, derived deterministically from the CO's
 * request, so a retried call finds the object its first attempt made.
 *
 * Formats (the vendor driver's StorageClass and VolumeSnapshotClass parameters) take
 * {name} (PVC or VolumeSnapshot name), {namespace} and {id} (the CSI request name,
 * e.g. pvc-<uid>); the default is "csi:{namespace}:{name}:{id}", or "csi-{id}" when the
 * CO sent no PVC metadata. VAST limits names to 64 characters: a longer result keeps
 * its first characters and ends with a hash of the whole, so two long names never
 * collide. */
#ifndef VK_CSI_NAMES_H
#define VK_CSI_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSI_VAST_NAME_MAX 64
#define CSI_DEFAULT_NAME_FORMAT "csi:{namespace}:{name}:{id}"

/* A stable 64-bit FNV-1a hash, printed as 16 hex digits where names need it. */
uint64_t vk_name_hash(const char *text);

/* Expands format with the three values (NULL or "" where unknown). Returns false with
 * a message in err for an unknown {placeholder} or an unclosed brace. With no PVC
 * metadata at all the result is "csi-<id>". */
bool vk_name_format(const char *format, const char *name, const char *ns, const char *id, char *out,
                     size_t out_size, char *err, size_t err_size);

/* Shortens text in place to at most max characters: "<first max-17 chars>-<hash>". */
void vk_name_shorten(char *text, size_t max);

/* Replaces characters VAST refuses in snapshot names (':' and '/') with '-'. */
void vk_name_snapshot_safe(char *text);

/* The directory a volume named `name` gets under root_export: the name itself when it
 * is a short plain name, otherwise a shortened, hashed form. */
void vk_volume_dir_name(const char *name, char *out, size_t out_size);

/* The clone stream that fills the volume at dest_path, and the temporary snapshot a
 * volume-to-volume clone copies from: both named from the destination, so a retry
 * finds them and DeleteVolume can clean them up. */
void vk_clone_stream_name(const char *dest_path, char *out, size_t out_size);
void vk_clone_snapshot_name(const char *dest_path, char *out, size_t out_size);
#define CSI_CLONE_PREFIX "csi-clone-"

#endif
