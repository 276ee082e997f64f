package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/pipeline"
)

// CacheArtifactType is the artifactType of an action-cache entry in a
// registry.
const CacheArtifactType = "application/vnd.fromscratch.action.v1"

// registryCache is the action cache's cache.Remote in an OCI registry
// (FROMSCRATCH_REMOTE_CACHE=HOST/REPOSITORY): the entry for a key is a
// files artifact (internal/image) tagged with the key's hex, as BuildKit's
// registry cache does, its files as layers named in annotations.
type registryCache struct {
	repo string
	reg  image.Registry
}

var _ cache.Remote = registryCache{}

func (r registryCache) ref(k cache.Key) string { return r.repo + ":" + k.String() }

func (r registryCache) Get(ctx context.Context, k cache.Key, dir string) (map[string]string, bool, error) {
	files, ok, err := r.reg.GetFiles(ctx, r.ref(k), CacheArtifactType, dir)
	if errors.Is(err, image.ErrCorrupt) {
		err = fmt.Errorf("%w: %w", cache.ErrCorrupt, err)
	}
	return files, ok, err
}

func (r registryCache) Put(ctx context.Context, k cache.Key, files map[string]string) error {
	_, err := r.reg.PutFiles(ctx, r.ref(k), CacheArtifactType, files)
	return err
}

// remoteCache is the option that puts cfg's remote cache, if any, behind
// the action cache, warning on w.
func remoteCache(cfg Config, reg image.Registry, warn func(string)) pipeline.Option {
	if cfg.RemoteCache == "" {
		return pipeline.WithRemoteCache(nil, nil)
	}
	return pipeline.WithRemoteCache(registryCache{repo: cfg.RemoteCache, reg: reg}, remoteWarn(cfg, warn))
}

// remoteWarn says through warn what goes wrong with the registry cache;
// the build goes on without it.
func remoteWarn(cfg Config, warn func(string)) func(error) {
	return func(err error) {
		warn(fmt.Sprintf("warning: FROMSCRATCH_REMOTE_CACHE=%s: %v", cfg.RemoteCache, err))
	}
}
