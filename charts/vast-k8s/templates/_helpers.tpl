{{/*
Names, labels and images every template shares. Object names start with the release's
name (vast-k8s-controller, ...), truncated to 63 characters as Kubernetes names allow.
*/}}
{{- define "vast-k8s.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* vast-k8s.name: the name of one component's objects: (list $ "controller") */}}
{{- define "vast-k8s.name" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "vast-k8s.fullname" $root | trunc (int (sub 62 (len (index . 1))))) (index . 1) | trimSuffix "-" -}}
{{- end -}}

{{/* vast-k8s.labels: the labels of every object of a component: (list $ "controller") */}}
{{- define "vast-k8s.labels" -}}
{{- $root := index . 0 }}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* vast-k8s.selector: the labels a component's Pods are selected by (never change) */}}
{{- define "vast-k8s.selector" -}}
{{- $root := index . 0 }}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* vast-k8s.image: repository:tag of one of our images, the tag defaulting to appVersion */}}
{{- define "vast-k8s.image" -}}
{{- $root := index . 0 -}}
{{- $img := index $root.Values.images (index . 1) -}}
{{- printf "%s:%s" $img.repository (default $root.Chart.AppVersion $img.tag) -}}
{{- end -}}

{{/* vast-k8s.sidecar: repository:tag of an upstream sidecar */}}
{{- define "vast-k8s.sidecar" -}}
{{- $img := index (index . 0).Values.sidecars (index . 1) -}}
{{- printf "%s:%s" $img.repository $img.tag -}}
{{- end -}}

{{/*
vast-k8s.restricted: the container securityContext of every container that needs no
privilege: not root, nothing writable but its volumes, no capabilities, no setuid gain.
*/}}
{{- define "vast-k8s.restricted" -}}
securityContext:
  runAsNonRoot: true
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  capabilities:
    drop: [ALL]
{{- end -}}

{{/*
vast-k8s.podSecurity: the Pod securityContext of the Deployments: one non-root user and
group for every container, so each may use the CSI socket the driver creates in their
shared emptyDir; the runtime's default seccomp profile.
*/}}
{{- define "vast-k8s.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  fsGroup: 65532
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* vast-k8s.scheduling: imagePullSecrets, nodeSelector, tolerations, affinity of a component's values */}}
{{- define "vast-k8s.scheduling" -}}
{{- $root := index . 0 -}}
{{- $c := index . 1 -}}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* vast-k8s.leaseRules: what leader election with a coordination.k8s.io Lease needs */}}
{{- define "vast-k8s.leaseRules" -}}
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, watch, list, create, update, patch, delete]
{{- end -}}

{{/* vast-k8s.secretNamespaces: the release's namespace and the extra ones, each once */}}
{{- define "vast-k8s.secretNamespaces" -}}
{{- $root := index . 0 -}}
{{- toJson (uniq (prepend (index . 1) $root.Release.Namespace)) -}}
{{- end -}}

{{/* vast-k8s.clusterSecretVolume: a Secret of a VAST cluster mounted as vast-csi's --vms-secret-dir */}}
{{- define "vast-k8s.clusterSecretVolume" -}}
- name: vms-secret
  secret:
    secretName: {{ . }}
    defaultMode: 0440
{{- end -}}
