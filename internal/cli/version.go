package cli

import (
	"fmt"
	"io"
	"runtime/debug"
)

// Version is fromscratch's version, the one source of it: fromscratch
// version prints it, every shard manifest records it and every SBOM
// names its creator "fromscratch-" + Version. It is a constant, not the
// module version of the build info, so that a release's bytes depend on
// its inputs and not on how the binary was built (go run, go install
// @v0.3.0 or a dirty checkout give three module versions).
const Version = "0.3.0"

// Version prints fromscratch's version, then the module version, the
// commit and the Go it was built from (runtime/debug.ReadBuildInfo).
func (c *CLI) Version() error {
	info, _ := debug.ReadBuildInfo()
	writeVersion(c.out, info)
	return nil
}

// writeVersion is Version's text for info (nil: no build info):
//
//	fromscratch 0.3.0
//	module github.com/fromscratch/fromscratch v0.0.0-20261205073722-b3f06eb1c2d3+dirty
//	commit b3f06eb1c2d3... (2026-12-05T07:37:22Z, modified)
//	go go1.26.8
func writeVersion(w io.Writer, info *debug.BuildInfo) {
	fmt.Fprintf(w, "fromscratch %s\n", Version)
	if info == nil {
		fmt.Fprintln(w, "no build information (built without module support)")
		return
	}
	fmt.Fprintf(w, "module %s %s\n", orUnknown(info.Main.Path), orUnknown(info.Main.Version))
	vcs := map[string]string{}
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	if rev := vcs["vcs.revision"]; rev != "" {
		note := vcs["vcs.time"]
		if vcs["vcs.modified"] == "true" {
			note += ", modified"
		}
		fmt.Fprintf(w, "commit %s (%s)\n", rev, note)
	} else {
		fmt.Fprintln(w, "commit unknown (not built from a version-controlled checkout, or with -buildvcs=false)")
	}
	fmt.Fprintf(w, "go %s\n", info.GoVersion)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
