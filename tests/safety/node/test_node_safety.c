/* The node's hostile-input suite: calls a careless kubelet or a hostile pod author could
 * make, each followed by proof that what is not the volume's is unchanged (files byte
 * for byte, foreign mounts still mounted with the same mount id, directories still
 * there, VAST's quotas and views as they were). See harness.h for the run. */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define VOL_A "/k8s/safety-a"
#define VOL_B "/k8s/safety-b"

static vk_status st;

/* The volume's directory under --bind-root. */
static const char *vast_dir(const char *vast_path) { return node_fmt("%s%s", node.fs, vast_path); }

static const char *kubelet_path(const char *rel) { return node_fmt("%s/%s", node.kubelet, rel); }

/* A directory of the test's own, outside anything the node should touch. */
static const char *host_data(const char *name, const char *text) {
    const char *dir = node_fmt("%s/%s", node.outside, name);
    node_mkdirs(dir);
    node_write(node_fmt("%s/data", dir), text);
    return dir;
}

static void stage_ok(const char *what, const char *volume, const char *staging) {
    node_mkdirs(staging);
    node_expect(what, node_call("NodeStageVolume", node_stage_req(volume, staging), &st), &st, VK_OK, NULL);
}

static void still_mounted(const char *what, const char *path, uint64_t id, const char *data_file, const char *text) {
    node_check(id != 0 && node_mount_id(path) == id, "%s: the mount at %s is gone or replaced", what, path);
    if (data_file) node_check(node_file_is(data_file, text), "%s: %s no longer holds its data", what, data_file);
}

/* ---- a regular file, a foreign directory: never removed ---- */

static void unpublish_leaves_files_and_foreign_dirs(void **state) {
    (void)state;
    node_make_volume(VOL_A, "volume a\n");
    const char *pod = kubelet_path("pods/files");
    node_mkdirs(pod);
    const char *file = node_fmt("%s/kubeconfig", pod);
    node_write(file, "precious bytes\n");
    const char *full = node_fmt("%s/full", pod), *empty = node_fmt("%s/empty", pod);
    node_mkdirs(full);
    node_write(node_fmt("%s/keep", full), "keep me\n");
    node_mkdirs(empty);

    const char *ids[] = {VOL_A, "fake-vol-id", "vk1:other:1:/k8s/pvc-x"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const char *what = node_fmt("NodeUnpublishVolume(%s) of a regular file", ids[i]);
        node_expect(what, node_call("NodeUnpublishVolume", node_unpublish_req(ids[i], file), &st), &st,
                    VK_OK, NULL);
        node_check(node_file_is(file, "precious bytes\n"), "%s: the file was changed or removed", what);
        what = node_fmt("NodeUnpublishVolume(%s) of a directory with content", ids[i]);
        node_expect(what, node_call("NodeUnpublishVolume", node_unpublish_req(ids[i], full), &st), &st,
                    VK_OK, NULL);
        node_check(node_file_is(node_fmt("%s/keep", full), "keep me\n"), "%s: its content is gone", what);
        what = node_fmt("NodeUnpublishVolume(%s) of an empty directory the node did not make", ids[i]);
        node_expect(what, node_call("NodeUnpublishVolume", node_unpublish_req(ids[i], empty), &st), &st,
                    VK_OK, NULL);
        struct stat sb;
        node_check(stat(empty, &sb) == 0 && S_ISDIR(sb.st_mode), "%s: the directory was removed", what);
        what = node_fmt("NodeUnstageVolume(%s) of a regular file", ids[i]);
        node_expect(what, node_call("NodeUnstageVolume", node_unstage_req(ids[i], file), &st), &st, VK_OK,
                    NULL);
        node_check(node_file_is(file, "precious bytes\n"), "%s: the file was changed or removed", what);
    }
    node_end_case();
}

/* ---- another volume's mount, a mount the node never made ---- */

static void unpublish_unstage_leave_foreign_mounts(void **state) {
    (void)state;
    node_make_volume(VOL_A, "volume a\n");
    node_make_volume(VOL_B, "volume b\n");
    const char *staging = kubelet_path("plugins/foreign/b/globalmount");
    const char *target = kubelet_path("pods/foreign-b/mount");
    stage_ok("stage volume b", VOL_B, staging);
    node_mkdirs(kubelet_path("pods/foreign-b"));
    node_expect("publish volume b", node_call("NodePublishVolume", node_publish_req(VOL_B, staging, target), &st),
                &st, VK_OK, NULL);
    uint64_t staged = node_mount_id(staging), published = node_mount_id(target);
    node_check(staged && published, "volume b is not mounted at %s and %s", staging, target);

    const char *ids[] = {VOL_A, "fake-vol-id", "/k8s", "/"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const char *what = node_fmt("NodeUnpublishVolume(%s) of volume b's target", ids[i]);
        node_expect(what, node_call("NodeUnpublishVolume", node_unpublish_req(ids[i], target), &st), &st,
                    VK_FAILED_PRECONDITION, target);
        still_mounted(what, target, published, node_fmt("%s/data", target), "volume b\n");
        what = node_fmt("NodeUnstageVolume(%s) of volume b's staging path", ids[i]);
        node_expect(what, node_call("NodeUnstageVolume", node_unstage_req(ids[i], staging), &st), &st,
                    VK_FAILED_PRECONDITION, staging);
        still_mounted(what, staging, staged, node_fmt("%s/data", staging), "volume b\n");
    }

    /* a mount the node never made, of a host directory */
    const char *host = host_data("host-dir", "host data\n");
    const char *foreign = kubelet_path("pods/foreign-host/mount");
    node_mkdirs(foreign);
    node_bind(host, foreign);
    uint64_t foreign_id = node_mount_id(foreign);
    node_expect("NodeUnpublishVolume of a host directory's mount",
                node_call("NodeUnpublishVolume", node_unpublish_req(VOL_A, foreign), &st), &st,
                VK_FAILED_PRECONDITION, foreign);
    still_mounted("NodeUnpublishVolume of a host directory's mount", foreign, foreign_id,
                  node_fmt("%s/data", foreign), "host data\n");

    /* a file system of its own (its root is "/", which every volume path ends with) */
    const char *tmpfs = kubelet_path("pods/foreign-tmpfs/mount");
    node_mkdirs(tmpfs);
    if (mount("tmpfs", tmpfs, "tmpfs", 0, "size=1m") != 0) fail_msg("mount tmpfs: %s", strerror(errno));
    node_write(node_fmt("%s/data", tmpfs), "tmpfs data\n");
    uint64_t tmpfs_id = node_mount_id(tmpfs);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const char *what = node_fmt("NodeUnpublishVolume(%s) of a tmpfs", ids[i]);
        node_expect(what, node_call("NodeUnpublishVolume", node_unpublish_req(ids[i], tmpfs), &st), &st,
                    VK_FAILED_PRECONDITION, tmpfs);
        still_mounted(what, tmpfs, tmpfs_id, node_fmt("%s/data", tmpfs), "tmpfs data\n");
    }

    /* a directory whose path ends like the volume's, but is not it */
    const char *decoy = host_data("decoy" VOL_A, "decoy\n");
    const char *suffix = kubelet_path("pods/foreign-suffix/mount");
    node_mkdirs(suffix);
    node_bind(decoy, suffix);
    uint64_t suffix_id = node_mount_id(suffix);
    node_expect("NodeUnpublishVolume of a directory named like the volume",
                node_call("NodeUnpublishVolume", node_unpublish_req(VOL_A, suffix), &st), &st,
                VK_FAILED_PRECONDITION, suffix);
    still_mounted("NodeUnpublishVolume of a directory named like the volume", suffix, suffix_id,
                  node_fmt("%s/data", suffix), "decoy\n");
    node_expect("NodeUnstageVolume of a directory named like the volume",
                node_call("NodeUnstageVolume", node_unstage_req(VOL_A, suffix), &st), &st,
                VK_FAILED_PRECONDITION, suffix);
    still_mounted("NodeUnstageVolume of a directory named like the volume", suffix, suffix_id, NULL, NULL);

    /* the owner's own calls still work */
    node_expect("volume b's own unpublish", node_call("NodeUnpublishVolume", node_unpublish_req(VOL_B, target), &st),
                &st, VK_OK, NULL);
    node_check(node_mounts_at(target) == 0 && access(target, F_OK) != 0,
               "volume b's own unpublish left %d mount(s) or the directory", node_mounts_at(target));
    node_expect("volume b's own unstage", node_call("NodeUnstageVolume", node_unstage_req(VOL_B, staging), &st), &st,
                VK_OK, NULL);
    node_check(node_mounts_at(staging) == 0, "volume b's own unstage left %d mount(s)", node_mounts_at(staging));
    node_check(access(staging, F_OK) == 0, "unstage removed the kubelet's staging directory");
    node_end_case();
}

/* ---- mounts of our own stacked by retries after crashes: all removed ---- */

static void stacked_own_mounts_all_removed(void **state) {
    (void)state;
    node_make_volume(VOL_A, "volume a\n");
    const char *staging = kubelet_path("plugins/stacked/globalmount");
    const char *target = kubelet_path("pods/stacked/mount");
    stage_ok("stage", VOL_A, staging);
    node_bind(vast_dir(VOL_A), staging); /* a second stage a crashed plugin made */
    node_mkdirs(kubelet_path("pods/stacked"));
    node_expect("publish", node_call("NodePublishVolume", node_publish_req(VOL_A, staging, target), &st), &st,
                VK_OK, NULL);
    node_bind(staging, target);
    node_check(node_mounts_at(staging) == 2 && node_mounts_at(target) == 2, "expected 2+2 stacked mounts, got %d+%d",
               node_mounts_at(staging), node_mounts_at(target));
    node_expect("unpublish of stacked mounts", node_call("NodeUnpublishVolume", node_unpublish_req(VOL_A, target), &st),
                &st, VK_OK, NULL);
    node_check(node_mounts_at(target) == 0, "unpublish left %d of its mounts", node_mounts_at(target));
    node_check(access(target, F_OK) != 0, "unpublish left the target directory it made");
    node_expect("unstage of stacked mounts", node_call("NodeUnstageVolume", node_unstage_req(VOL_A, staging), &st),
                &st, VK_OK, NULL);
    node_check(node_mounts_at(staging) == 0, "unstage left %d of its mounts", node_mounts_at(staging));
    node_check(node_file_is(node_fmt("%s/data", vast_dir(VOL_A)), "volume a\n"), "the volume's data changed");
    node_end_case();
}

/* ---- '..', symbolic links, paths outside --kubelet-dir ---- */

static void expect_refused(const char *what, vk_code code, const char *needle) {
    node_expect(what, code, &st, VK_INVALID_ARGUMENT, needle);
}

static void dotted_paths_refused(const char *staging) {
    /* '..' and other non-canonical forms, on every path-taking call */
    const char *dotted[] = {
        kubelet_path("pods/links/../../../outside/escaped"),
        kubelet_path("pods/links/./mount"),
        kubelet_path("pods/links//mount"),
        kubelet_path("pods/links/mount/"),
        "pods/links/mount",
    };
    for (size_t i = 0; i < sizeof dotted / sizeof dotted[0]; i++) {
        const char *p = dotted[i];
        expect_refused(node_fmt("publish at %s", p),
                       node_call("NodePublishVolume", node_publish_req(VOL_A, staging, p), &st), NULL);
        expect_refused(node_fmt("unpublish of %s", p), node_call("NodeUnpublishVolume", node_unpublish_req(VOL_A, p), &st),
                       NULL);
        expect_refused(node_fmt("stage at %s", p), node_call("NodeStageVolume", node_stage_req(VOL_A, p), &st), NULL);
        expect_refused(node_fmt("unstage of %s", p), node_call("NodeUnstageVolume", node_unstage_req(VOL_A, p), &st),
                       NULL);
    }
    node_check(access(node_fmt("%s/escaped", node.outside), F_OK) != 0, "a '..' target was created outside");

}

static void links_refused(const char *staging) {
    /* a link in the middle, and a link as the last component */
    node_mkdirs(node_fmt("%s/linked", node.outside));
    if (symlink(node.outside, kubelet_path("pods/links/via")) != 0 ||
        symlink(node_fmt("%s/linked", node.outside), kubelet_path("pods/links/last")) != 0 ||
        symlink(node.outside, kubelet_path("plugins/links-via")) != 0) {
        fail_msg("symlink: %s", strerror(errno));
    }
    const char *via = kubelet_path("pods/links/via/mount"), *last = kubelet_path("pods/links/last");
    expect_refused("publish through a link", node_call("NodePublishVolume", node_publish_req(VOL_A, staging, via), &st),
                   "symbolic link");
    node_check(access(node_fmt("%s/mount", node.outside), F_OK) != 0, "a target was created through the link");
    expect_refused("publish at a link", node_call("NodePublishVolume", node_publish_req(VOL_A, staging, last), &st),
                   "symbolic link");
    struct stat sb;
    node_check(lstat(last, &sb) == 0 && S_ISLNK(sb.st_mode), "the link target was replaced");
    node_check(node_mount_id(node_fmt("%s/linked", node.outside)) == 0, "something was mounted where the link points");
    const char *staging_via = kubelet_path("plugins/links-via/globalmount");
    expect_refused("stage through a link", node_call("NodeStageVolume", node_stage_req(VOL_A, staging_via), &st),
                   "symbolic link");
    expect_refused("publish from a staging path through a link",
                   node_call("NodePublishVolume", node_publish_req(VOL_A, staging_via, kubelet_path("pods/links/m")), &st),
                   "symbolic link");
    node_check(access(node_fmt("%s/globalmount", node.outside), F_OK) != 0, "a staging path was made through the link");

}

static void mounts_behind_links_untouched(void) {
    /* unpublish/unstage through a link at mounts that are there: a foreign one and even
     * one of this volume */
    const char *host = host_data("links-host", "host data\n");
    node_mkdirs(node_fmt("%s/links-foreign", node.outside));
    node_bind(host, node_fmt("%s/links-foreign", node.outside));
    node_mkdirs(node_fmt("%s/links-own", node.outside));
    node_bind(vast_dir(VOL_A), node_fmt("%s/links-own", node.outside));
    uint64_t foreign = node_mount_id(node_fmt("%s/links-foreign", node.outside));
    uint64_t own = node_mount_id(node_fmt("%s/links-own", node.outside));
    const char *names[] = {"links-foreign", "links-own"};
    uint64_t ids[] = {foreign, own};
    for (int i = 0; i < 2; i++) {
        const char *p = kubelet_path(node_fmt("pods/links/via/%s", names[i]));
        expect_refused(node_fmt("unpublish through a link of %s", names[i]),
                       node_call("NodeUnpublishVolume", node_unpublish_req(VOL_A, p), &st), "symbolic link");
        expect_refused(node_fmt("unstage through a link of %s", names[i]),
                       node_call("NodeUnstageVolume", node_unstage_req(VOL_A, p), &st), "symbolic link");
        still_mounted(names[i], node_fmt("%s/%s", node.outside, names[i]), ids[i], NULL, NULL);
        json_t *stats = json_pack("{s:s, s:s}", "volume_id", VOL_A, "volume_path", p);
        node_expect(node_fmt("stats through a link of %s", names[i]), node_call("NodeGetVolumeStats", stats, &st),
                    &st, VK_NOT_FOUND, "symbolic link");
        /* and straight at it: outside --kubelet-dir */
        p = node_fmt("%s/%s", node.outside, names[i]);
        expect_refused(node_fmt("unpublish outside --kubelet-dir of %s", names[i]),
                       node_call("NodeUnpublishVolume", node_unpublish_req(VOL_A, p), &st), "--kubelet-dir");
        expect_refused(node_fmt("unstage outside --kubelet-dir of %s", names[i]),
                       node_call("NodeUnstageVolume", node_unstage_req(VOL_A, p), &st), "--kubelet-dir");
        still_mounted(names[i], p, ids[i], NULL, NULL);
    }
    node_check(node_file_is(node_fmt("%s/data", host), "host data\n"), "the host directory's data changed");

}

static void outside_kubelet_dir_refused(const char *staging) {
    /* outside --kubelet-dir, also behind a name that merely starts like it */
    const char *sibling = node_fmt("%s-evil/pods/x/mount", node.kubelet);
    expect_refused("publish outside --kubelet-dir",
                   node_call("NodePublishVolume", node_publish_req(VOL_A, staging, node_fmt("%s/x", node.outside)), &st),
                   "--kubelet-dir");
    expect_refused("publish beside --kubelet-dir",
                   node_call("NodePublishVolume", node_publish_req(VOL_A, staging, sibling), &st), "--kubelet-dir");
    expect_refused("stage outside --kubelet-dir",
                   node_call("NodeStageVolume", node_stage_req(VOL_A, node_fmt("%s/st", node.outside)), &st),
                   "--kubelet-dir");
    node_check(access(node_fmt("%s/x", node.outside), F_OK) != 0 && access(node_fmt("%s/st", node.outside), F_OK) != 0 &&
                   access(sibling, F_OK) != 0,
               "a refused path was created");

}

static void dots_and_links_refused(void **state) {
    (void)state;
    node_make_volume(VOL_A, "volume a\n");
    const char *staging = kubelet_path("plugins/links/globalmount");
    stage_ok("stage", VOL_A, staging);
    int mounts = node_mount_count();
    node_mkdirs(kubelet_path("pods/links"));
    dotted_paths_refused(staging);
    links_refused(staging);
    mounts_behind_links_untouched();
    outside_kubelet_dir_refused(staging);
    /* two extra mounts: the ones this test made itself */
    node_check(node_mount_count() == mounts + 2, "mounts changed: %d before, %d after (2 made by the test)", mounts,
               node_mount_count());
    node_expect("unstage", node_call("NodeUnstageVolume", node_unstage_req(VOL_A, staging), &st), &st, VK_OK,
                NULL);
    node_end_case();
}

/* ---- bind mode: a link a pod wrote inside its volume never reaches the host ---- */

static void bind_sources_stay_beneath_bind_root(void **state) {
    (void)state;
    node_make_volume(VOL_A, "volume a\n");
    if (symlink("/", node_fmt("%s/rootfs", vast_dir(VOL_A))) != 0 ||
        symlink("/", node_fmt("%s/k8s/safety-link", node.fs)) != 0 ||
        symlink("../../..", node_fmt("%s/up", vast_dir(VOL_A))) != 0) {
        fail_msg("symlink: %s", strerror(errno));
    }
    int mounts = node_mount_count();
    const char *staging = kubelet_path("plugins/bindlink/globalmount");
    node_mkdirs(staging);
    const char *handles[] = {VOL_A "/rootfs", "/k8s/safety-link", "/k8s/safety-link/etc", VOL_A "/up",
                             VOL_A "/up/etc"};
    for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++) {
        const char *what = node_fmt("stage of a static volume %s", handles[i]);
        vk_code code = node_call("NodeStageVolume", node_stage_req(handles[i], staging), &st);
        node_check(code != VK_OK, "%s: answered OK", what);
        node_check(node_mount_id(staging) == 0, "%s: something is mounted at the staging path", what);
        /* the same through the volume context's export_path */
        json_t *req = node_stage_req(VOL_A, staging);
        json_object_set_new(req, "volume_context", json_pack("{s:s}", "export_path", handles[i]));
        code = node_call("NodeStageVolume", req, &st);
        node_check(code != VK_OK, "%s through export_path: answered OK", what);
        node_check(node_mount_id(staging) == 0, "%s through export_path: something is mounted", what);
    }
    node_expect("a link inside the volume", node_call("NodeStageVolume", node_stage_req(VOL_A "/rootfs", staging), &st),
                &st, VK_INVALID_ARGUMENT, "symbolic link");
    node_check(node_mount_count() == mounts, "mounts changed: %d before, %d after", mounts, node_mount_count());
    node_check(access(node_fmt("%s/etc", staging), F_OK) != 0, "the host's root shows at the staging path");
    node_end_case();
}

/* ---- inline ephemeral volumes: a pod chooses nothing but the size ---- */

static json_t *ephemeral_req(const char *volume_id, const char *target, const char *pod) {
    return json_pack("{s:s, s:s, s:{s:{s:s}, s:{}}, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "volume_id", volume_id,
                     "target_path", target, "volume_capability", "access_mode", "mode", "SINGLE_NODE_WRITER", "mount",
                     "volume_context", "csi.storage.k8s.io/ephemeral", "true", "csi.storage.k8s.io/pod.name", pod,
                     "csi.storage.k8s.io/pod.namespace", "team-a", "csi.storage.k8s.io/pod.uid", "uid-1",
                     "csi.storage.k8s.io/serviceAccount.name", "default", "size", "1Gi");
}

/* VAST's quotas and views, as JSON text, for before/after comparisons. */
static char *vast_objects(void) {
    json_t *inv = sim_admin(&node.sim, "GET", "/_sim/inventory", NULL);
    json_t *both = json_pack("{s:O, s:O}", "quotas", json_object_get(inv, "quotas"), "views",
                             json_object_get(inv, "views"));
    char *text = json_dumps(both, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(both);
    json_decref(inv);
    return text;
}

static int quotas_at(const char *path) {
    json_t *inv = sim_admin(&node.sim, "GET", "/_sim/inventory", NULL);
    size_t i;
    json_t *q;
    int n = 0;
    json_array_foreach(json_object_get(inv, "quotas"), i, q) {
        const char *p = json_string_value(json_object_get(q, "path"));
        if (p && strcmp(p, path) == 0) n++;
    }
    json_decref(inv);
    return n;
}

static void ephemeral_attributes_from_the_driver(void **state) {
    (void)state;
    const char *victim = "csi-0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a", *victim_path = "/k8s/csi-0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
    const char *victim_target = kubelet_path("pods/victim/mount");
    node_mkdirs(kubelet_path("pods/victim"));
    node_expect("another pod's inline volume (only size set)",
                node_call("NodePublishVolume", ephemeral_req(victim, victim_target, "victim"), &st), &st,
                VK_OK, NULL);
    node_check(quotas_at(victim_path) == 1, "the inline volume made no quota at %s under the configured root",
               victim_path);
    node_write(node_fmt("%s/pvc-data", victim_target), "victim data\n");
    uint64_t victim_mount = node_mount_id(victim_target);

    static const char *const hostile[][2] = {
        {"root_export", "/k8s/csi-0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"},
        {"root_export", "/"},
        {"view_policy", "someone-elses-policy"},
        {"cluster_name", "another-cluster"},
        {"vip_pool_name", "another-pool"},
        {"vip_pool_fqdn", "pool.evil.example.com"},
        {"qos_policy", "gold"},
        {"qos_policy_id", "7"},
        {"eph_volume_name_fmt", "{namespace}-stolen"},
        {"volume_name_fmt", "x"},
        {"mount_options", "nolock,port=2050"},
        {"export_path", "/k8s/csi-0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"},
        {"colour", "blue"},
    };
    char *before = vast_objects();
    const char *target = kubelet_path("pods/hostile/mount");
    node_mkdirs(kubelet_path("pods/hostile"));
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        json_t *req = ephemeral_req("csi-0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", target, "hostile");
        json_object_set_new(json_object_get(req, "volume_context"), hostile[i][0], json_string(hostile[i][1]));
        const char *what = node_fmt("inline volume with %s=%s", hostile[i][0], hostile[i][1]);
        node_expect(what, node_call("NodePublishVolume", req, &st), &st, VK_INVALID_ARGUMENT,
                    hostile[i][0]);
        char *after = vast_objects();
        node_check(strcmp(before, after) == 0, "%s: VAST's quotas or views changed", what);
        free(after);
        node_check(node_mount_id(target) == 0 && access(target, F_OK) != 0, "%s: the target was mounted or made",
                   what);
    }
    /* ids the kubelet never makes: a PVC's name, the victim's path, anything not csi-<hex> */
    const char *bad_ids[] = {"pvc-0a0a0a0a-0a0a-0a0a-0a0a-0a0a0a0a0a0a", "csi-0A0A0A0A0A0A0A0A0A0A", "csi-../../x",
                             "/k8s/csi-0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a", "csi-0a0a"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        const char *what = node_fmt("inline volume with the id %s", bad_ids[i]);
        node_expect(what, node_call("NodePublishVolume", ephemeral_req(bad_ids[i], target, "hostile"), &st), &st,
                    VK_INVALID_ARGUMENT, "id");
        char *after = vast_objects();
        node_check(strcmp(before, after) == 0, "%s: VAST's quotas or views changed", what);
        free(after);
    }
    free(before);
    still_mounted("the other pod's volume", victim_target, victim_mount, node_fmt("%s/pvc-data", victim_target),
                  "victim data\n");

    /* an unpublish naming the victim's volume at another path deletes nothing */
    const char *elsewhere = kubelet_path("pods/hostile/elsewhere");
    node_expect("unpublish of the other pod's volume id at another path",
                node_call("NodeUnpublishVolume", node_unpublish_req(victim, elsewhere), &st), &st, VK_OK,
                NULL);
    node_check(quotas_at(victim_path) == 1, "the other pod's volume was deleted from VAST");
    still_mounted("the other pod's volume", victim_target, victim_mount, node_fmt("%s/pvc-data", victim_target),
                  "victim data\n");

    node_expect("the owner's unpublish",
                node_call("NodeUnpublishVolume", node_unpublish_req(victim, victim_target), &st), &st, VK_OK,
                NULL);
    node_check(quotas_at(victim_path) == 0, "the owner's unpublish left the quota");
    node_end_case();
}

/* ---- a 4,000-byte staging path: idempotent ---- */

static void long_staging_path_idempotent(void **state) {
    (void)state;
    node_make_volume(VOL_A, "volume a\n");
    char *path = malloc(PATH_MAX + 64);
    if (!path) abort();
    int n = snprintf(path, PATH_MAX, "%s/plugins/long", node.kubelet);
    while (n < 4000 - 201) n += snprintf(path + n, (size_t)(PATH_MAX - n), "/%0200d", n);
    while (n < 4000) n += snprintf(path + n, (size_t)(PATH_MAX - n), "/%s", "x");
    path[4000] = '\0';
    node_check(strlen(path) == 4000, "the long path is %zu bytes", strlen(path));
    node_mkdirs(path);
    for (int i = 1; i <= 2; i++) {
        node_expect(node_fmt("stage at a 4,000-byte path (%d)", i),
                    node_call("NodeStageVolume", node_stage_req(VOL_A, path), &st), &st, VK_OK, NULL);
    }
    node_check(node_mounts_at(path) == 1, "%d mounts at the long staging path, not 1", node_mounts_at(path));
    /* and a long target: the same path with another last component */
    char *target = malloc(PATH_MAX + 64);
    if (!target) abort();
    snprintf(target, PATH_MAX + 64, "%s", path);
    *strrchr(target, '/') = '\0';
    strcat(target, "/t");
    node_check(strlen(target) == 4000, "the long target is %zu bytes", strlen(target));
    for (int i = 1; i <= 2; i++) {
        node_expect(node_fmt("publish from the long staging path (%d)", i),
                    node_call("NodePublishVolume", node_publish_req(VOL_A, path, target), &st), &st, VK_OK,
                    NULL);
    }
    node_check(node_file_is(node_fmt("%s/data", target), "volume a\n"), "the target does not show the volume");
    node_expect("unpublish", node_call("NodeUnpublishVolume", node_unpublish_req(VOL_A, target), &st), &st,
                VK_OK, NULL);
    node_expect("unstage of the long path", node_call("NodeUnstageVolume", node_unstage_req(VOL_A, path), &st), &st,
                VK_OK, NULL);
    node_check(node_mounts_at(path) == 0, "unstage left %d mount(s) at the long path", node_mounts_at(path));
    node_check(node_mounts_at(target) == 0 && access(target, F_OK) != 0, "unpublish left the long target");
    free(target);

    /* PATH_MAX bytes and more: refused, not cut short */
    char *too_long = malloc(PATH_MAX + 64);
    if (!too_long) abort();
    snprintf(too_long, PATH_MAX + 64, "%s/%0*d", path, PATH_MAX - 4000, 0);
    node_expect("stage at a path of PATH_MAX bytes", node_call("NodeStageVolume", node_stage_req(VOL_A, too_long), &st),
                &st, VK_INVALID_ARGUMENT, "bytes");
    free(too_long);
    free(path);
    node_end_case();
}

int main(void) {
    if (geteuid() != 0) {
        print_message("SKIP: the node safety suite mounts: run it as root\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(unpublish_leaves_files_and_foreign_dirs, node_case_teardown),
        cmocka_unit_test_teardown(unpublish_unstage_leave_foreign_mounts, node_case_teardown),
        cmocka_unit_test_teardown(stacked_own_mounts_all_removed, node_case_teardown),
        cmocka_unit_test_teardown(dots_and_links_refused, node_case_teardown),
        cmocka_unit_test_teardown(bind_sources_stay_beneath_bind_root, node_case_teardown),
        cmocka_unit_test_teardown(ephemeral_attributes_from_the_driver, node_case_teardown),
        cmocka_unit_test_teardown(long_staging_path_idempotent, node_case_teardown),
    };
    return cmocka_run_group_tests_name("safety.node", tests, node_start, node_stop);
}
