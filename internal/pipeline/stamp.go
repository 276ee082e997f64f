package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/smoke"
)

// The stamp protocol. Each cell's out/bin folder keeps cell.json: what its
// outputs were made from and what they were when written. A run asks it
// four questions, in this order, and records the answers of its own:
//
//  1. upToDate: is the binary in out/bin the one this compile key makes?
//  2. imageReusable: are the archive and the image's blobs in out/ the
//     ones this image key makes, undamaged?
//  3. smokePassed: did this image pass this expectation already?
//  4. record: write what this run made.
//
// Damage is found cheaply: each output's size and mtime are recorded, and
// only a file whose size or mtime differs is hashed again.
const stampFile = "cell.json"

// stamp is the content of cell.json.
type stamp struct {
	CompileKey   string      `json:"compile_key"`
	ImageKey     string      `json:"image_key"`
	BinarySHA256 string      `json:"binary_sha256"`
	Digest       string      `json:"digest"`
	Sizes        image.Sizes `json:"sizes"`
	// Outputs are the docker archive, the index.json of the cell's own
	// layout (images/<stem>) and the image's blobs in out/oci and in that
	// layout, relative to out/.
	Outputs []output    `json:"outputs,omitempty"`
	Smoke   *smokeStamp `json:"smoke,omitempty"`
}

// output is what an output file was when it was written.
type output struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	MtimeNS int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256"`
}

// smokeStamp is a passed smoke run and what it ran.
type smokeStamp struct {
	Key    string       `json:"key"`
	Result smoke.Result `json:"result"`
}

// readStamp returns the stamp of a cell's folder; a missing or damaged
// stamp is no stamp.
func readStamp(dir string) *stamp {
	data, err := os.ReadFile(filepath.Join(dir, stampFile))
	if err != nil {
		return nil
	}
	var s stamp
	if json.Unmarshal(data, &s) != nil {
		return nil
	}
	return &s
}

// digester returns a file's hex sha256: the Builder's memo, kept across
// runs, so that a no-op run reads no file it read before (the binaries
// in out/bin, the recipes' inputs), or cache.FileDigest, for the image
// files the stamp itself records by size and mtime.
type digester func(path string) (string, error)

// upToDate says whether bin is what compileKey made last time.
func (s *stamp) upToDate(compileKey, bin string, digest digester) (sha string, ok bool) {
	if s == nil || s.CompileKey != compileKey {
		return "", false
	}
	sum, err := digest(bin)
	return sum, err == nil && sum == s.BinarySHA256
}

// imageReusable says whether out/ still holds, undamaged, the image that
// imageKey made last time.
func (s *stamp) imageReusable(out, imageKey string, digest digester) bool {
	if s == nil || s.ImageKey != imageKey || len(s.Outputs) == 0 {
		return false
	}
	for _, o := range s.Outputs {
		if !o.intact(out, digest) {
			return false
		}
	}
	return true
}

func (o output) intact(out string, digest digester) bool {
	p := filepath.Join(out, filepath.FromSlash(o.Path))
	fi, err := os.Stat(p)
	if err != nil || fi.Size() != o.Size {
		return false
	}
	if fi.ModTime().UnixNano() == o.MtimeNS {
		return true
	}
	sum, err := digest(p) // touched, or changed in place: look
	return err == nil && sum == o.SHA256
}

// smokePassed returns the recorded pass of the same run.
func (s *stamp) smokePassed(key string) (smoke.Result, bool) {
	if s == nil || s.Smoke == nil || s.Smoke.Key != key {
		return smoke.Result{}, false
	}
	return s.Smoke.Result, true
}

// record writes the stamp into the cell's folder.
func (s *stamp) record(dir string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, stampFile), append(data, '\n'), 0o644)
}

// fingerprint describes p, a file in out, as it is now.
func fingerprint(out outdir.Path, p string, digest digester) (output, error) {
	rel, err := filepath.Rel(string(out), p)
	if err != nil {
		return output{}, err
	}
	rel = filepath.ToSlash(rel)
	fi, err := os.Stat(p)
	if err != nil {
		return output{}, err
	}
	sum, err := digest(p)
	if err != nil {
		return output{}, err
	}
	return output{Path: rel, Size: fi.Size(), MtimeNS: fi.ModTime().UnixNano(), SHA256: sum}, nil
}

// recordLayout adds the blobs of each image of recipe, just written to
// out/oci/<recipe>, to the cells' stamps.
func (b *Builder) recordLayout(rep *Report, recipeName string) {
	out := outdir.Path(b.opts.OutDir)
	for _, j := range rep.Jobs {
		r := rep.Results[j.Cell.String()]
		if j.Cell.Recipe != recipeName || r == nil || r.Err != nil || r.stamp == nil || r.Image == nil {
			continue
		}
		files, err := image.Blobs(r.Image)
		if err != nil {
			continue // without a complete record the image is packed again next time
		}
		outs := []output{}
		for _, p := range []string{out.Archive(j.Cell), filepath.Join(out.Image(j.Cell), "index.json")} {
			if o, err := fingerprint(out, p, cache.FileDigest); err == nil {
				outs = append(outs, o)
			}
		}
		if len(outs) != 2 {
			continue
		}
		complete := true
		for _, f := range files {
			for _, layout := range []string{out.OCI(recipeName), out.Image(j.Cell)} {
				o, err := fingerprint(out, filepath.Join(layout, filepath.FromSlash(f)), cache.FileDigest)
				if err != nil {
					complete = false
					break
				}
				outs = append(outs, o)
			}
		}
		if !complete {
			continue
		}
		r.stamp.Outputs = outs
		_ = r.stamp.record(b.cellDir(j.Cell)) // losing it only costs a repack
	}
}
