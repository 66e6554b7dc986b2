/* Where the Kubernetes API is and how to prove who we are: a kubeconfig file (the
 * current context or a named one) or, in a Pod, the service account's mount.
 *
 *   vk_kube_config cfg;
 *   if (!vk_kube_config_load_file(getenv("KUBECONFIG"), NULL, &cfg, &st)) ...
 *   ...cfg.server, cfg.ca_pem, cfg.token...
 *   vk_kube_config_free(&cfg);
 *
 * The *-data fields of a kubeconfig are base64: they are decoded here, so a caller
 * sees PEM text or a file name, never both. Relative file names are taken from the
 * kubeconfig's directory, as kubectl does. Secrets (token, key) are wiped on free. */
#ifndef VK_KUBE_CONFIG_H
#define VK_KUBE_CONFIG_H

#include "vk/status.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *server;      /* "https://127.0.0.1:6443" */
    char *ca_file;     /* certificate-authority, or NULL */
    char *ca_pem;      /* certificate-authority-data decoded, or NULL */
    bool insecure_skip_tls_verify;
    char *token;       /* a bearer token, or NULL */
    char *token_file;  /* tokenFile (re-read when it changes), or NULL */
    char *cert_file;   /* client-certificate, or NULL */
    char *cert_pem;    /* client-certificate-data decoded, or NULL */
    char *key_file;    /* client-key, or NULL */
    char *key_pem;     /* client-key-data decoded, or NULL */
    char *namespace_;  /* the context's namespace, "default" when it names none */
} vk_kube_config;

/* text (len bytes) as a kubeconfig; context NULL: its current-context. base_dir (may
 * be NULL) resolves relative file names. VK_INVALID_ARGUMENT names what is missing or
 * malformed. */
bool vk_kube_config_parse(const char *text, size_t len, const char *context, const char *base_dir,
                          vk_kube_config *out, vk_status *st);
bool vk_kube_config_load_file(const char *path, const char *context, vk_kube_config *out, vk_status *st);

/* In a Pod: KUBERNETES_SERVICE_HOST/PORT and dir/{token,ca.crt,namespace}; dir NULL:
 * /var/run/secrets/kubernetes.io/serviceaccount. The token stays a file (token_file)
 * because the kubelet rotates it. VK_FAILED_PRECONDITION outside a cluster. */
bool vk_kube_config_in_cluster(const char *dir, vk_kube_config *out, vk_status *st);

void vk_kube_config_free(vk_kube_config *c);

#endif
