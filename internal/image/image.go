// Package image assembles scratch OCI images from a few host files, and writes them as OCI image
// layouts (one multi-arch index per name) and as `docker load`-able archives.
//
// It is the only fromscratch package that imports go-containerregistry. Everything it writes is a
// function of its inputs: file contents, the modes and paths given in the Spec, and Spec.Created.
// Host file mtimes, owners, permission bits and the umask never reach a digest.
package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// ErrInvalidSpec is wrapped by every error Build returns for a Spec it refuses.
var ErrInvalidSpec = errors.New("invalid image spec")

// File is one regular file copied into a layer.
type File struct {
	Path   string      // absolute, clean path in the image, e.g. "/hello", "/lib/libc.so.6"
	Source string      // host file to read the content from (symlinks are followed)
	Mode   os.FileMode // permission bits written into the tar, e.g. 0o755; never taken from the host
}

// Layer is one filesystem layer and the history line that describes it.
type Layer struct {
	CreatedBy string // history line, e.g. "COPY hello /"
	Files     []File
}

// Spec describes a scratch image.
type Spec struct {
	Platform   string // one of Platforms
	Layers     []Layer
	Entrypoint []string
	Cmd        []string
	Labels     map[string]string
	Metadata   Metadata  // OCI annotations of the manifest, also added to Labels
	Created    time.Time // the build date: config.created, history and tar mtimes, the created annotation
}

// Platforms lists the platforms Build accepts, in the order the project presents them.
var Platforms = platformNames()

func platformNames() []string {
	out := make([]string, len(recipe.Platforms))
	for i, p := range recipe.Platforms {
		out[i] = string(p)
	}
	return out
}

// ParsePlatform returns the OCI platform for one of Platforms.
func ParsePlatform(s string) (v1.Platform, error) {
	f, ok := recipe.Platform(s).Facts()
	if !ok {
		return v1.Platform{}, fmt.Errorf("%w: Platform %q is not supported: use one of %s",
			ErrInvalidSpec, s, strings.Join(Platforms, ", "))
	}
	return v1.Platform{OS: "linux", Architecture: f.OCIArch, Variant: f.OCIVariant}, nil
}

// Build assembles the image: empty.Image, plus one gzip layer per Spec.Layers entry (with its
// history line), plus empty-layer history entries for LABEL, ENTRYPOINT and CMD as a Dockerfile
// would record them. Manifest, config and layers use OCI media types. The manifest carries the
// OCI annotations of Metadata, created always among them, and the config the same as labels.
//
// Created is normalised to UTC and whole seconds, so the host's time zone cannot leak into the
// config. Sources are read (and compressed, in memory) here: the returned image does not change
// if the sources change or vanish afterwards.
func Build(spec Spec) (v1.Image, error) {
	platform, err := ParsePlatform(spec.Platform)
	if err != nil {
		return nil, err
	}
	if spec.Created.IsZero() || spec.Created.Before(time.Unix(0, 0)) {
		return nil, fmt.Errorf("%w: Created %s is not a build date: pass one at or after 1970-01-01 (e.g. from SOURCE_DATE_EPOCH)",
			ErrInvalidSpec, spec.Created)
	}
	created := spec.Created.UTC().Truncate(time.Second)
	if err := checkLayers(spec.Layers); err != nil {
		return nil, err
	}
	annotations := spec.Metadata.annotations(created)
	labels, err := mergeLabels(spec.Labels, annotations)
	if err != nil {
		return nil, err
	}
	spec.Labels = labels

	cfg := &v1.ConfigFile{
		Created:      v1.Time{Time: created},
		OS:           platform.OS,
		Architecture: platform.Architecture,
		Variant:      platform.Variant,
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint: spec.Entrypoint,
			Cmd:        spec.Cmd,
			Labels:     spec.Labels,
		},
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	base, err = mutate.ConfigFile(base, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting config file: %w", err)
	}

	var adds []mutate.Addendum
	for i, l := range spec.Layers {
		layer, err := newLayer(l.Files, created)
		if err != nil {
			return nil, fmt.Errorf("building layer %d (%s): %w", i, l.CreatedBy, err)
		}
		adds = append(adds, mutate.Addendum{
			Layer:     layer,
			History:   v1.History{CreatedBy: l.CreatedBy, Created: v1.Time{Time: created}},
			MediaType: types.OCILayer,
		})
	}
	for _, line := range configHistory(spec) {
		adds = append(adds, mutate.Addendum{
			History: v1.History{CreatedBy: line, Created: v1.Time{Time: created}, EmptyLayer: true},
		})
	}
	img, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, fmt.Errorf("appending layers: %w", err)
	}
	annotated, ok := mutate.Annotations(img, annotations).(v1.Image)
	if !ok {
		return nil, fmt.Errorf("annotating the manifest: not an image")
	}
	return annotated, nil
}

// configHistory returns the Dockerfile lines that set the config, in Dockerfile order.
func configHistory(spec Spec) []string {
	var lines []string
	if len(spec.Labels) > 0 {
		keys := make([]string, 0, len(spec.Labels))
		for k := range spec.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		pairs := make([]string, len(keys))
		for i, k := range keys {
			pairs[i] = k + "=" + labelValue(spec.Labels[k])
		}
		lines = append(lines, "LABEL "+strings.Join(pairs, " "))
	}
	if spec.Entrypoint != nil {
		lines = append(lines, "ENTRYPOINT "+jsonArray(spec.Entrypoint))
	}
	if spec.Cmd != nil {
		lines = append(lines, "CMD "+jsonArray(spec.Cmd))
	}
	return lines
}

// labelValue quotes a label value the way a Dockerfile needs it when it is not a bare word.
func labelValue(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\n\"'\\$=") {
		return strconv.Quote(v)
	}
	return v
}

// jsonArray renders args in a Dockerfile's exec form, without HTML escaping.
func jsonArray(args []string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(args) // encoding a []string cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}
