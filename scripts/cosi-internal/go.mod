// Stand-in for the "internal" module of kubernetes-sigs/container-object-storage-interface
// v0.2.x, which upstream never published on the Go module proxy (its controller and sidecar
// reach it through a local replace only). scripts/k8s-tools.sh builds the released
// controller and sidecar with this directory as that module; see runtime/runtime.go.
module sigs.k8s.io/container-object-storage-interface/internal

go 1.23.0

require (
	github.com/spf13/viper v1.19.0
	k8s.io/api v0.32.3
	k8s.io/apimachinery v0.32.3
	k8s.io/client-go v0.32.3
	k8s.io/klog/v2 v2.130.1
	sigs.k8s.io/container-object-storage-interface/client v0.2.2
)
