package image

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// The pre-defined OCI annotation keys this package writes
// (https://github.com/opencontainers/image-spec/blob/main/annotations.md).
const (
	AnnotationCreated     = "org.opencontainers.image.created"
	AnnotationTitle       = "org.opencontainers.image.title"
	AnnotationDescription = "org.opencontainers.image.description"
	AnnotationSource      = "org.opencontainers.image.source"
	AnnotationRevision    = "org.opencontainers.image.revision"
	AnnotationVersion     = "org.opencontainers.image.version"
	AnnotationLicenses    = "org.opencontainers.image.licenses"
)

// Metadata is what the OCI annotations say about an image. Build writes
// created (Spec.Created in RFC 3339) and every non-empty field both as
// manifest annotations and as config labels, so `docker inspect` shows
// them too. Nothing here may come from the clock or the machine.
type Metadata struct {
	Title       string // e.g. the recipe's name
	Description string // one line
	Source      string // URL of the source repository
	Revision    string // the source's version control revision, e.g. a git commit
	Version     string // the packaged program's version
	Licenses    string // an SPDX license expression
}

// annotations returns created and the non-empty fields by annotation key.
func (m Metadata) annotations(created time.Time) map[string]string {
	out := map[string]string{AnnotationCreated: created.UTC().Format(time.RFC3339)}
	for k, v := range map[string]string{
		AnnotationTitle: m.Title, AnnotationDescription: m.Description, AnnotationSource: m.Source,
		AnnotationRevision: m.Revision, AnnotationVersion: m.Version, AnnotationLicenses: m.Licenses,
	} {
		if v = strings.TrimSpace(v); v != "" {
			out[k] = v
		}
	}
	return out
}

// mergeLabels adds the metadata to the caller's labels; a label the caller
// set to another value is a mistake.
func mergeLabels(labels, meta map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(labels)+len(meta))
	for k, v := range labels {
		out[k] = v
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if old, ok := out[k]; ok && old != meta[k] {
			return nil, fmt.Errorf("%w: label %s is %q in Labels and %q in Metadata: set it in one place",
				ErrInvalidSpec, k, old, meta[k])
		}
		out[k] = meta[k]
	}
	return out, nil
}

// PlatformRef is the ref name of one platform's image next to the
// multi-arch index name in a layout: "gcc-dynamic" and "linux/arm/v7" give
// "gcc-dynamic-arm-v7".
func PlatformRef(name, platform string) string {
	return name + "-" + recipe.Platform(platform).Arch()
}
