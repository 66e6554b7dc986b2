// Package runtime is this project's own implementation of the package that the released
// COSI controller and objectstorage sidecar (kubernetes-sigs/container-object-storage-interface
// v0.2.x) import as sigs.k8s.io/container-object-storage-interface/internal/runtime. Upstream
// keeps that package in a module it never tagged, so the Go module proxy cannot serve it;
// scripts/k8s-tools.sh builds the released controller and sidecar against this one instead.
//
// It offers the same API the two commands and their listeners use: a controller made with
// NewDefaultObjectStorageController, listeners registered with Add*Listener, and Run, which
// takes a Lease (leader election) and then watches the objects of each registered kind and
// hands them to the listener's Add, Update and Delete, one call at a time per object, a
// failed Add or Update retried with an exponential backoff (100 ms doubling up to 30 s), a
// Delete called once. The client's rate limits are client-go's defaults. What the
// listeners do (the controller's and sidecar's logic) is upstream's code, unchanged.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/spf13/viper"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	kubeclientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"sigs.k8s.io/container-object-storage-interface/client/apis/objectstorage/v1alpha1"
	bucketclientset "sigs.k8s.io/container-object-storage-interface/client/clientset/versioned"
)

// GenericListener is what every listener is given before its first call.
type GenericListener interface {
	InitializeKubeClient(kubeclientset.Interface)
	InitializeBucketClient(bucketclientset.Interface)
	InitializeEventRecorder(record.EventRecorder)
}

// BucketListener handles Bucket objects (the sidecar).
type BucketListener interface {
	GenericListener
	Add(ctx context.Context, b *v1alpha1.Bucket) error
	Update(ctx context.Context, old *v1alpha1.Bucket, new *v1alpha1.Bucket) error
	Delete(ctx context.Context, b *v1alpha1.Bucket) error
}

// BucketClaimListener handles BucketClaim objects (the controller).
type BucketClaimListener interface {
	GenericListener
	Add(ctx context.Context, b *v1alpha1.BucketClaim) error
	Update(ctx context.Context, old *v1alpha1.BucketClaim, new *v1alpha1.BucketClaim) error
	Delete(ctx context.Context, b *v1alpha1.BucketClaim) error
}

// BucketAccessListener handles BucketAccess objects (the sidecar).
type BucketAccessListener interface {
	GenericListener
	Add(ctx context.Context, b *v1alpha1.BucketAccess) error
	Update(ctx context.Context, old *v1alpha1.BucketAccess, new *v1alpha1.BucketAccess) error
	Delete(ctx context.Context, b *v1alpha1.BucketAccess) error
}

// handlers are one kind's three calls, on untyped objects.
type handlers struct {
	add    func(ctx context.Context, obj interface{}) error
	update func(ctx context.Context, old, new interface{}) error
	delete func(ctx context.Context, obj interface{}) error
}

// kind is one watched resource: its REST name, its object type and its listener's calls.
type kind struct {
	resource string
	object   kruntime.Object
	generic  GenericListener
	calls    handlers
}

type opType int

const (
	opAdd opType = iota
	opUpdate
	opDelete
)

// op is the one call pending for an object: the newest event wins, except that an object
// whose Add has not run yet stays an Add until it has.
type op struct {
	typ      opType
	old, obj interface{}
	k        *kind
	seq      uint64
}

// ObjectStorageController watches the registered kinds and calls their listeners.
type ObjectStorageController struct {
	identity   string
	leaderLock string
	threads    int

	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	ResyncPeriod  time.Duration

	kubeClient   kubeclientset.Interface
	bucketClient bucketclientset.Interface
	broadcaster  record.EventBroadcaster
	recorder     record.EventRecorder
	queue        workqueue.TypedRateLimitingInterface[types.UID]

	kinds []*kind

	mu      sync.Mutex
	pending map[types.UID]*op
	seen    map[types.UID]interface{} // the object as it was last handed to a listener
	seq     uint64
}

// NewDefaultObjectStorageController: clients from the kubeconfig flag (viper's
// "kubeconfig"), else $KUBECONFIG, else the in-cluster configuration.
func NewDefaultObjectStorageController(identity string, leaderLockName string, threads int) (*ObjectStorageController, error) {
	path := viper.GetString("kubeconfig")
	if path == "" {
		path = os.Getenv("KUBECONFIG")
	}
	var cfg *rest.Config
	var err error
	if path != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", path)
	} else {
		cfg, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, err
	}
	kc, err := kubeclientset.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	bc, err := bucketclientset.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if identity == "" {
		if identity, err = os.Hostname(); err != nil {
			return nil, err
		}
	}
	if err := v1alpha1.AddToScheme(scheme.Scheme); err != nil {
		return nil, err
	}
	b := record.NewBroadcaster()
	limiter := workqueue.NewTypedItemExponentialFailureRateLimiter[types.UID](100*time.Millisecond, 30*time.Second)
	return &ObjectStorageController{
		identity:      identity,
		leaderLock:    leaderLockName,
		threads:       threads,
		LeaseDuration: 150 * time.Second,
		RenewDeadline: 120 * time.Second,
		RetryPeriod:   60 * time.Second,
		ResyncPeriod:  30 * time.Second,
		kubeClient:    kc,
		bucketClient:  bc,
		broadcaster:   b,
		recorder:      b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: identity}),
		queue:         workqueue.NewTypedRateLimitingQueue[types.UID](limiter),
		pending:       map[types.UID]*op{},
		seen:          map[types.UID]interface{}{},
	}, nil
}

func (c *ObjectStorageController) AddBucketListener(l BucketListener) {
	c.kinds = append(c.kinds, &kind{resource: "buckets", object: &v1alpha1.Bucket{}, generic: l, calls: handlers{
		add: func(ctx context.Context, o interface{}) error { return l.Add(ctx, o.(*v1alpha1.Bucket)) },
		update: func(ctx context.Context, a, b interface{}) error {
			return l.Update(ctx, a.(*v1alpha1.Bucket), b.(*v1alpha1.Bucket))
		},
		delete: func(ctx context.Context, o interface{}) error { return l.Delete(ctx, o.(*v1alpha1.Bucket)) },
	}})
}

func (c *ObjectStorageController) AddBucketClaimListener(l BucketClaimListener) {
	c.kinds = append(c.kinds, &kind{resource: "bucketclaims", object: &v1alpha1.BucketClaim{}, generic: l, calls: handlers{
		add: func(ctx context.Context, o interface{}) error { return l.Add(ctx, o.(*v1alpha1.BucketClaim)) },
		update: func(ctx context.Context, a, b interface{}) error {
			return l.Update(ctx, a.(*v1alpha1.BucketClaim), b.(*v1alpha1.BucketClaim))
		},
		delete: func(ctx context.Context, o interface{}) error { return l.Delete(ctx, o.(*v1alpha1.BucketClaim)) },
	}})
}

func (c *ObjectStorageController) AddBucketAccessListener(l BucketAccessListener) {
	c.kinds = append(c.kinds, &kind{resource: "bucketaccesses", object: &v1alpha1.BucketAccess{}, generic: l, calls: handlers{
		add: func(ctx context.Context, o interface{}) error { return l.Add(ctx, o.(*v1alpha1.BucketAccess)) },
		update: func(ctx context.Context, a, b interface{}) error {
			return l.Update(ctx, a.(*v1alpha1.BucketAccess), b.(*v1alpha1.BucketAccess))
		},
		delete: func(ctx context.Context, o interface{}) error { return l.Delete(ctx, o.(*v1alpha1.BucketAccess)) },
	}})
}

// namespace: where the Lease and the events go, as a Pod would find it.
func namespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
		if ns := strings.TrimSpace(string(b)); ns != "" {
			return ns
		}
	}
	return "default"
}

var notName = regexp.MustCompile(`[^a-z0-9-]+`)

// leaseName: lower case, letters, digits and '-' only, not ending in '-'.
func leaseName(s string) string {
	n := notName.ReplaceAllString(strings.ToLower(s), "-")
	if strings.HasSuffix(n, "-") {
		n += "x"
	}
	return n
}

// Run takes the Lease, then runs the watches and workers until ctx ends.
func (c *ObjectStorageController) Run(ctx context.Context) error {
	if len(c.kinds) == 0 {
		return errors.New("no listener was added to the controller")
	}
	ns := namespace()
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("the leader identity (host name): %w", err)
	}
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.kubeClient.CoreV1().Events(ns)})
	defer c.broadcaster.Shutdown()
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, ns, leaseName(c.leaderLock+"/"+c.identity),
		c.kubeClient.CoreV1(), c.kubeClient.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: leaseName(host), EventRecorder: c.recorder})
	if err != nil {
		return err
	}
	leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
		Lock:            lock,
		ReleaseOnCancel: true,
		LeaseDuration:   c.LeaseDuration,
		RenewDeadline:   c.RenewDeadline,
		RetryPeriod:     c.RetryPeriod,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				klog.V(2).InfoS("leading: starting the watches", "kinds", len(c.kinds))
				c.watchAndWork(ctx)
			},
			OnStoppedLeading: func() { klog.InfoS("no longer leading") },
			OnNewLeader:      func(id string) { klog.V(3).InfoS("leader", "identity", id) },
		},
	})
	return nil
}

// watchAndWork: an informer per kind feeding the queue, then the workers.
func (c *ObjectStorageController) watchAndWork(ctx context.Context) {
	defer c.queue.ShutDown()
	var synced []cache.InformerSynced
	for _, k := range c.kinds {
		k.generic.InitializeKubeClient(c.kubeClient)
		k.generic.InitializeBucketClient(c.bucketClient)
		k.generic.InitializeEventRecorder(c.recorder)
		lw := cache.NewListWatchFromClient(c.bucketClient.ObjectstorageV1alpha1().RESTClient(), k.resource, "", fields.Everything())
		inf := cache.NewSharedIndexInformer(lw, k.object, c.ResyncPeriod, cache.Indexers{})
		k := k
		_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(o interface{}) { c.changed(k, o) },
			UpdateFunc: func(_, o interface{}) { c.changed(k, o) },
			DeleteFunc: func(o interface{}) { c.deleted(k, o) },
		})
		if err != nil {
			klog.ErrorS(err, "adding the event handler", "resource", k.resource)
			return
		}
		go inf.Run(ctx.Done())
		synced = append(synced, inf.HasSynced)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		klog.Error("the watches did not sync")
		return
	}
	for i := 0; i < c.threads; i++ {
		go func() {
			for c.next(ctx) {
			}
		}()
	}
	<-ctx.Done()
}

// changed: an object was added or changed (or resynced: then, unchanged since the listener
// last saw it, nothing is queued).
func (c *ObjectStorageController) changed(k *kind, o interface{}) {
	m, ok := o.(metav1.Object)
	if !ok {
		return
	}
	uid := m.GetUID()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	if p := c.pending[uid]; p != nil && p.typ == opAdd {
		p.obj, p.seq = o, c.seq
	} else if old, ok := c.seen[uid]; ok {
		if p == nil && reflect.DeepEqual(old, o) {
			return
		}
		c.pending[uid] = &op{typ: opUpdate, old: old, obj: o, k: k, seq: c.seq}
	} else {
		c.pending[uid] = &op{typ: opAdd, obj: o, k: k, seq: c.seq}
	}
	c.queue.Add(uid)
}

// deleted: the object is gone from the API server.
func (c *ObjectStorageController) deleted(k *kind, o interface{}) {
	if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	m, ok := o.(metav1.Object)
	if !ok {
		return
	}
	uid := m.GetUID()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.pending[uid] = &op{typ: opDelete, obj: o, k: k, seq: c.seq}
	c.queue.Add(uid)
}

// next runs the pending call of one object; the queue never hands one UID to two workers
// at once. A failed call is retried with backoff unless a newer event replaced it.
func (c *ObjectStorageController) next(ctx context.Context) bool {
	uid, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(uid)
	c.mu.Lock()
	p := c.pending[uid]
	var cur op
	if p != nil {
		cur = *p
	}
	c.mu.Unlock()
	if p == nil {
		c.queue.Forget(uid)
		return true
	}
	var err error
	switch cur.typ {
	case opAdd:
		err = cur.k.calls.add(ctx, cur.obj)
	case opUpdate:
		err = cur.k.calls.update(ctx, cur.old, cur.obj)
	case opDelete:
		err = cur.k.calls.delete(ctx, cur.obj)
	}
	c.mu.Lock()
	if cur.typ == opDelete {
		delete(c.seen, uid)
	} else {
		c.seen[uid] = cur.obj
	}
	replaced := c.pending[uid] == nil || c.pending[uid].seq != cur.seq
	if (err == nil || cur.typ == opDelete) && !replaced {
		// a Delete is called once, as upstream's runtime does: the object is gone, and a
		// listener that fails on it (a sidecar whose claim went first) would fail forever
		delete(c.pending, uid)
		if err != nil {
			klog.V(3).InfoS("delete call failed, not retried", "resource", cur.k.resource, "uid", uid, "err", err)
			err = nil
		}
	}
	c.mu.Unlock()
	switch {
	case replaced:
		c.queue.Forget(uid)
		c.queue.Add(uid)
	case err != nil:
		klog.V(3).InfoS("call failed, retrying", "resource", cur.k.resource, "uid", uid, "err", err)
		c.queue.AddRateLimited(uid)
	default:
		c.queue.Forget(uid)
	}
	return true
}
