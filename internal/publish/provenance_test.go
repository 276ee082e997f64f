package publish

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/digest"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// The provenance of jq names the commit, jq's and onig's recipe folders,
// every pinned Debian file of both with its purl and sha256, the
// toolchain file and both locks; tini's names its patch by its sha256.
// Nothing names a path of this machine, and the statement's command builds
// the cell again.
func TestProvenanceInputs(t *testing.T) {
	root := testutil.RepoRoot(t)
	byName := func(recipe, toolchain string) map[string]release.ResourceDescriptor {
		t.Helper()
		in, err := provenanceInputs(root, recipe, toolchain, "0123456789abcdef0123456789abcdef01234567")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]release.ResourceDescriptor{}
		for _, r := range in {
			if strings.HasPrefix(r.Name, "/") || strings.Contains(r.Name+r.URI, root) {
				t.Errorf("%s: input %+v names a path of this machine", recipe, r)
			}
			m[r.Name] = r
		}
		return m
	}
	jq := byName("jq", "gcc")
	for _, f := range []string{"toolchains/gcc.toml", "toolchains/runtime.lock.json", "toolchains/buildroot.lock.json"} {
		want, err := digest.File(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if got := jq[f].Digest["sha256"]; got != want {
			t.Errorf("jq: %s has sha256 %q, want %s", f, got, want)
		}
	}
	if jq["commit"].Digest["gitCommit"] != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("jq: commit %+v", jq["commit"])
	}
	for _, dir := range []string{"recipes/jq", "recipes/onig"} {
		if len(jq[dir].Digest["sha256"]) != 64 {
			t.Errorf("jq: recipe folder %s: %+v, want its sha256", dir, jq[dir])
		}
	}
	orig := jq["jq_1.6.orig.tar.gz"]
	if orig.Digest["sha256"] != "3ba940b97571c866923f0409678033d33b5a98758dfc174fad8397ed908bc4d9" || !strings.HasPrefix(orig.URI, "pkg:deb/debian/jq@1.6-2.1%2Bdeb12u2?arch=source") {
		t.Errorf("jq: the pinned orig tarball is %+v", orig)
	}
	if _, ok := jq["libonig_6.9.8.orig.tar.gz"]; !ok {
		var names []string
		for n := range jq {
			names = append(names, n)
		}
		t.Errorf("jq: no pinned file of the onig library recipe among %v", names)
	}

	tini := byName("tini", "zig")
	want, err := digest.File(filepath.Join(root, "recipes", "tini", "zig-linker-flags.patch"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tini["recipes/tini/zig-linker-flags.patch"].Digest["sha256"]; got != want {
		t.Errorf("tini: its patch has sha256 %q, want %s", got, want)
	}

	tg := target{repo: "127.0.0.1:5000/fromscratch/jq", recipe: "jq", variant: "musl-gcc-static", platforms: []string{"linux/amd64", "linux/arm64"}}
	if got, want := tg.command(), "fromscratch build jq --toolchain musl-gcc --linkage static --platform linux/amd64,linux/arm64"; got != want {
		t.Errorf("command of the index = %q, want %q", got, want)
	}
	tg.platform = "linux/arm64"
	if got, want := tg.command(), "fromscratch build jq --toolchain musl-gcc --linkage static --platform linux/arm64"; got != want {
		t.Errorf("command of an image = %q, want %q", got, want)
	}
	hex := strings.Repeat("ab", 32)
	in := release.ProvenanceInput{SubjectName: tg.repo, SubjectDigest: "sha256:" + hex, BuildDate: time.Unix(1704067200, 0),
		Parameters: release.Parameters{Recipe: "jq", Variant: tg.variant, Platform: tg.platform, Command: tg.command()}}
	st, err := release.NewProvenance(in)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := release.NewProvenance(in)
	if string(st) != string(again) {
		t.Error("two statements of the same input differ")
	}
	var got struct {
		Subject   []release.Subject `json:"subject"`
		Predicate struct {
			BuildDefinition struct {
				ExternalParameters map[string]any `json:"externalParameters"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(st, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Subject) != 1 || got.Subject[0].Digest["sha256"] != hex || got.Predicate.BuildDefinition.ExternalParameters["sourceDateEpoch"] != 1704067200.0 {
		t.Errorf("statement %s: want the subject sha256 %s and sourceDateEpoch 1704067200", st, hex)
	}
	if _, err := release.NewProvenance(release.ProvenanceInput{SubjectName: "x", SubjectDigest: "sha256:abc"}); err == nil {
		t.Error("a statement of a malformed digest was made")
	}
}

// verify --source accepts a provenance of the checkout's inputs and names
// the input that differs otherwise.
func TestSameInputs(t *testing.T) {
	root := testutil.RepoRoot(t)
	inputs, err := provenanceInputs(root, "hello", "gcc", workspace.Revision(root))
	if err != nil {
		t.Fatal(err)
	}
	statement := func(in []release.ResourceDescriptor) *release.Statement {
		data, err := release.NewProvenance(release.ProvenanceInput{SubjectName: "r", SubjectDigest: "sha256:" + strings.Repeat("0", 64),
			Parameters: release.Parameters{Recipe: "hello", Variant: "gcc-static"}, Inputs: in})
		if err != nil {
			t.Fatal(err)
		}
		st, err := release.ParseStatement(data)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	o := VerifyOptions{Source: root}
	if err := o.sameInputs(statement(inputs)); err != nil {
		t.Errorf("the checkout's own inputs: %v", err)
	}
	changed := make([]release.ResourceDescriptor, len(inputs))
	copy(changed, inputs)
	for i, r := range changed {
		if r.Name == "toolchains/gcc.toml" {
			changed[i] = release.ResourceDescriptor{Name: r.Name, Digest: map[string]string{"sha256": strings.Repeat("1", 64)}}
		}
	}
	if err := o.sameInputs(statement(changed)); err == nil || !strings.Contains(err.Error(), "toolchains/gcc.toml") {
		t.Errorf("another gcc.toml: %v, want an error naming toolchains/gcc.toml", err)
	}
}
