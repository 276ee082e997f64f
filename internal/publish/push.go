package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/spell"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// SBOMArtifactType is the artifactType of an SBOM attached to an image.
const SBOMArtifactType = "application/spdx+json"

// Pushed is one index as the registry has it after Push.
type Pushed struct {
	Recipe  string        `json:"recipe"`
	Variant string        `json:"variant"` // <toolchain>-<linkage>, the tag
	Ref     string        `json:"ref"`     // PREFIX/<recipe>:<variant>
	Digest  string        `json:"digest"`  // the index's, equal to the layout's
	Images  []PushedImage `json:"images"`
}

// PushedImage is one image of a pushed index.
type PushedImage struct {
	Platform string `json:"platform"` // linux/arm/v7
	Digest   string `json:"digest"`
	SBOM     string `json:"sbom,omitempty"` // the referrer holding its SBOM; none when release wrote no SBOM
}

// Push pushes every recipe's multi-arch indexes, with their images, from
// out/oci/<recipe>/ to <prefix>/<recipe>:<toolchain>-<linkage> (prefix is
// REGISTRY/PATH, e.g. ghcr.io/owner/fromscratch), checks that the
// registry has each index under the layout's digest, and attaches each
// image's SBOM from out/release/sbom/ (when release wrote one) as an OCI
// referrer of artifactType application/spdx+json. It prints each
// reference with its digest. Blobs and manifests the registry has are
// not sent again, so a push cut off halfway completes when run again.
// Credentials come from the Docker config (docker login).
func Push(ctx context.Context, o Options, prefix string) ([]Pushed, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	if !strings.Contains(prefix, "/") {
		return nil, fmt.Errorf("release:push %q: want REGISTRY/PREFIX, e.g. ghcr.io/owner/fromscratch or 127.0.0.1:5000/fromscratch", prefix)
	}
	o.inputs = map[string][]release.ResourceDescriptor{}
	out := outdir.Path(o.Engine.OutDir)
	recipes, err := out.Layouts()
	if err != nil {
		return nil, err
	}
	if len(recipes) == 0 {
		return nil, fmt.Errorf("no OCI layouts in %s (run %s or %s first)", workspace.Rel(o.Engine.Root, out.OCI("")), spell.Command("build:all"), spell.Command("release"))
	}
	var all []Pushed
	var images, sboms int
	for _, name := range recipes {
		entries, err := image.ReadLayout(out.OCI(name))
		if err != nil {
			return all, err
		}
		repo := prefix + "/" + name
		for _, e := range entries {
			pushed, err := o.Registry.PushIndex(ctx, repo+":"+e.Name, e.Index)
			if err != nil {
				return all, err
			}
			fmt.Fprintf(o.Log, "%s@%s\n", pushed.Ref, pushed.Digest)
			p := Pushed{Recipe: name, Variant: e.Name, Ref: pushed.Ref, Digest: pushed.Digest}
			t := target{repo: repo, recipe: name, variant: e.Name, platforms: platformsOf(pushed.Images)}
			if o.Signing.Key != nil {
				d, err := e.Descriptor()
				if err != nil {
					return all, err
				}
				if err := o.signTarget(ctx, t, d); err != nil {
					return all, err
				}
			}
			for _, d := range pushed.Images {
				images++
				if d.Platform == nil {
					continue
				}
				img := PushedImage{Platform: d.Platform.String(), Digest: d.Digest.String()}
				if err := o.signTarget(ctx, t, d); err != nil {
					return all, err
				}
				doc, file, err := sbomFor(out.Release(), name, e.Name, d.Platform.String())
				if err != nil {
					return all, err
				}
				if doc != nil {
					if img.SBOM, err = o.Registry.Attach(ctx, repo, d, SBOMArtifactType, filepath.Base(file), doc); err != nil {
						return all, err
					}
					fmt.Fprintf(o.Log, "  %s %s@%s: SBOM %s\n", d.Platform, repo, d.Digest, img.SBOM)
					sboms++
				}
				p.Images = append(p.Images, img)
			}
			all = append(all, p)
		}
	}
	fmt.Fprintf(o.Log, "release:push: %d indexes with %d images and %d SBOMs in %s, %s\n", len(all), images, sboms, prefix, o.signedNote())
	return all, nil
}

// signTarget signs the manifest d of t (an image, or the index when d has
// no platform), when there is a key.
func (o Options) signTarget(ctx context.Context, t target, d image.Descriptor) error {
	if o.Signing.Key == nil {
		return nil
	}
	t.subject, t.digest = d, d.Digest.String()
	if d.Platform != nil {
		t.platform = d.Platform.String()
	}
	if err := o.sign(ctx, t); err != nil {
		return fmt.Errorf("signing %s@%s: %w", t.repo, t.digest, err)
	}
	return nil
}

// platformsOf are the platforms of an index's images, in its order.
func platformsOf(images []image.Descriptor) []string {
	var out []string
	for _, d := range images {
		if d.Platform != nil {
			out = append(out, d.Platform.String())
		}
	}
	return out
}

// sbomFor reads the release's SBOM of one image, if release wrote it:
// sbom/<recipe>_<toolchain>-<linkage>_<arch>.spdx.json under dir. A
// missing file is nil, nil.
func sbomFor(dir outdir.Path, recipeName, variant, platform string) (doc []byte, file string, err error) {
	p, err := recipe.ParsePlatform(platform)
	if err != nil {
		return nil, "", nil // not a platform fromscratch builds: no SBOM
	}
	i := strings.LastIndex(variant, "-")
	if i < 0 {
		return nil, "", nil
	}
	cell := recipe.Cell{Recipe: recipeName, Platform: p, Toolchain: variant[:i], Linkage: recipe.Linkage(variant[i+1:])}
	file = dir.SBOM(cell)
	doc, err = os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, file, nil
	}
	if err != nil {
		return nil, file, fmt.Errorf("reading the SBOM of %s: %w", cell, err)
	}
	return doc, file, nil
}
