package publish

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/signature"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// testKey is a key pair written as cosign writes it (cosign.key,
// cosign.pub in a directory), made once per run: scrypt makes each key
// file slow to write and read.
type testKey struct {
	dir    string
	signer *signature.Signer
	public signature.Verifier
}

var (
	keysOnce sync.Once
	keys     [2]testKey
	keysErr  error
)

func testKeys(t *testing.T) [2]testKey {
	t.Helper()
	keysOnce.Do(func() {
		for i := range keys {
			dir, err := os.MkdirTemp("", "fromscratch-key-")
			if err != nil {
				keysErr = err
				return
			}
			priv, pub, err := signature.GenerateKeyPair([]byte("test-password"))
			if err == nil {
				err = errors.Join(os.WriteFile(filepath.Join(dir, "cosign.key"), priv, 0o600), os.WriteFile(filepath.Join(dir, "cosign.pub"), pub, 0o644))
			}
			if err == nil {
				keys[i].signer, err = signature.ParsePrivateKey("cosign.key", priv, []byte("test-password"))
			}
			if err == nil {
				keys[i].public, err = signature.ParsePublicKey("cosign.pub", pub)
			}
			if err != nil {
				keysErr = err
				return
			}
			keys[i].dir = dir
		}
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keys
}

// writeSBOMs writes, for every image of out/oci/hello's gcc-static index,
// the smallest SBOM that describes it, where release writes it.
func writeSBOMs(t *testing.T, outDir string) map[string]string {
	t.Helper()
	digests := map[string]string{}
	for _, p := range recipe.CIPlatforms { // writeHelloLayout's platforms
		digests[string(p)] = ""
	}
	entries, err := image.ReadLayout(outdir.Path(outDir).OCI("hello"))
	if err != nil {
		t.Fatal(err)
	}
	im, err := entries[0].Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		p, err := recipe.ParsePlatform(m.Platform.String())
		if err != nil {
			t.Fatal(err)
		}
		cell := recipe.Cell{Recipe: "hello", Platform: p, Toolchain: "gcc", Linkage: recipe.Static}
		file := outdir.Path(outDir).Release().SBOM(cell)
		os.MkdirAll(filepath.Dir(file), 0o755)
		doc := strings.ReplaceAll(`{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"hello",`+
			`"documentNamespace":"https://fromscratch.invalid/spdx/test-DIGEST","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: fromscratch-test"]},`+
			`"packages":[{"SPDXID":"SPDXRef-Image","name":"hello","versionInfo":"DIGEST","downloadLocation":"NOASSERTION","primaryPackagePurpose":"CONTAINER"}],`+
			`"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-Image"}]}`, "DIGEST", m.Digest.String())
		if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		digests[m.Platform.String()] = m.Digest.String()
	}
	return digests
}

// release:push with a key signs the index and every image and attaches
// their provenance (a second push sends nothing); verify passes for the
// index, an image and against the checkout, and fails, naming the check,
// for a wrong key, a provenance of another digest (in the .att tag and as
// the referrer), a missing SBOM, a manifest changed in the registry's
// storage and an index changed by one byte under its tag. With cosign on
// PATH (or FROMSCRATCH_COSIGN), cosign verify and cosign
// verify-attestation pass for the arm64 image and fail for the changed
// index. It pushes the checked-in tiny programs: no compiler runs.
func TestSignVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes to a registry five times (about 10 s): not in -short")
	}
	reg := testutil.StartRegistry(t)
	root := testutil.RepoRoot(t)
	k := testKeys(t)
	o, _ := testOptions(t)
	counter := &bytesCounter{}
	o.Registry = image.Registry{Transport: counter}
	o.Signing = Signing{Key: k[0].signer, Commit: workspace.Revision(root), BuilderID: "https://github.com/o/r/.github/workflows/matrix.yml@refs/tags/v1", InvocationID: "https://github.com/o/r/actions/runs/1/attempts/1"}
	index := writeHelloLayout(t, root, o.Engine.OutDir)
	digests := writeSBOMs(t, o.Engine.OutDir)
	prefix := reg.Host + "/fromscratch"
	repo := prefix + "/hello"
	if _, err := Push(t.Context(), o, prefix); err != nil {
		t.Fatal(err)
	}
	counter.take()
	if _, err := Push(t.Context(), o, prefix); err != nil {
		t.Fatal(err)
	}
	if n := counter.take(); n != 0 {
		t.Errorf("the second signed push sent %d bytes, want 0 (signatures and provenance kept)", n)
	}
	var log bytes.Buffer
	vo := VerifyOptions{Registry: image.Registry{}, Key: k[0].public, Log: &log}
	verify := func(what string, o VerifyOptions, ref, wantFail string) {
		t.Helper()
		log.Reset()
		err := Verify(t.Context(), o, ref)
		switch {
		case wantFail == "" && err != nil:
			t.Errorf("%s: %v\n%s", what, err, log.String())
		case wantFail != "" && (!errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), wantFail)):
			t.Errorf("%s: %v; want a verification failure naming %q\n%s", what, err, wantFail, log.String())
		}
	}
	arm64 := repo + "@" + digests["linux/arm64"]
	verify("the index", vo, repo+":gcc-static", "")
	verify("an image", vo, arm64, "")
	withSource := vo
	withSource.Source = root
	verify("against the checkout", withSource, repo+"@"+index, "")
	otherKey := vo
	otherKey.Key = k[1].public
	verify("another key", otherKey, arm64, "signature")
	if cosign := cosignBinary(t); cosign != "" {
		runCosign(t, cosign, k[0].dir, arm64, "")
	}

	// The arm64 image's provenance swapped for one of the amd64 image.
	amd64 := digests["linux/amd64"]
	deleteTag(t, repo, digests["linux/arm64"], image.AttestationSuffix)
	prov, err := release.NewProvenance(release.ProvenanceInput{SubjectName: repo, SubjectDigest: amd64, BuildDate: o.Engine.BuildDate})
	if err != nil {
		t.Fatal(err)
	}
	env, err := k[0].signer.Envelope(signature.InTotoPayloadType, prov)
	if err != nil {
		t.Fatal(err)
	}
	if err := vo.Registry.AttachLayer(t.Context(), repo, digests["linux/arm64"], image.AttestationSuffix, image.AttachedLayer{
		MediaType: signature.DSSEMediaType, Content: env, Annotations: map[string]string{signature.PredicateTypeAnnotation: release.ProvenanceType},
	}); err != nil {
		t.Fatal(err)
	}
	verify("a provenance of another image in the .att tag", vo, arm64, "provenance")

	// The riscv64 image's provenance referrer swapped for one of the amd64
	// image (its .att tag left as it was).
	riscv64 := digests["linux/riscv64"]
	dropReferrers(t, repo, riscv64, signature.DSSEMediaType)
	res, err := vo.Registry.Resolve(t.Context(), repo+":gcc-static")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(res.Manifests, func(d image.Descriptor) bool { return d.Digest.String() == riscv64 })
	if i < 0 {
		t.Fatalf("the index has no manifest %s", riscv64)
	}
	riscvDesc := res.Manifests[i]
	if _, err := vo.Registry.Attach(t.Context(), repo, riscvDesc, signature.DSSEMediaType, ProvenanceTitle, env); err != nil {
		t.Fatal(err)
	}
	verify("a provenance of another image as the referrer", vo, repo+"@"+riscv64, "as a referrer")

	// A push without SBOMs, to another prefix.
	os.RemoveAll(filepath.Join(o.Engine.OutDir, "release", "sbom"))
	if _, err := Push(t.Context(), o, reg.Host+"/nosbom"); err != nil {
		t.Fatal(err)
	}
	verify("no SBOM", vo, reg.Host+"/nosbom/hello:gcc-static", "SBOM")

	// One byte of the amd64 image's manifest changed in the registry's
	// storage, under its digest. cosign verify REPO@DIGEST is not asked:
	// it trusts the reference's digest and never reads the manifest.
	blob := reg.BlobPath(amd64)
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(blob, b, 0o644); err != nil {
		t.Fatal(err)
	}
	verify("a changed manifest, by digest", vo, repo+"@"+amd64, "manifest")
	verify("a changed manifest in the index", vo, repo+":gcc-static", "manifest")

	// One byte of the index changed and pushed under its tag: the
	// registry serves it under a new digest, which nobody signed.
	ref, err := name.ParseReference(repo + ":gcc-static")
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	i = bytes.Index(got.Manifest, []byte(`"linux"`))
	if i < 0 {
		t.Fatalf("the index names no linux platform:\n%s", got.Manifest)
	}
	changed := bytes.Clone(got.Manifest)
	changed[i+1] = 'L'
	if err := remote.Put(ref, rawManifest{changed, got.MediaType}); err != nil {
		t.Fatal(err)
	}
	verify("an index changed by one byte under its tag", vo, repo+":gcc-static", "signature")
	if cosign := cosignBinary(t); cosign != "" {
		runCosign(t, cosign, k[0].dir, repo+":gcc-static", "fail")
	}
}

// rawManifest is a manifest's bytes, to push as they are.
type rawManifest struct {
	data      []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.data, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }

// deleteTag removes repo@digest's cosign tag (suffix) from the registry.
func deleteTag(t *testing.T, repo, digest, suffix string) {
	t.Helper()
	tag, err := image.CosignTag(digest, suffix)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(ref.Context().Digest(d.Digest.String())); err != nil {
		t.Fatal(err)
	}
}

// dropReferrers removes the referrers of artifactType from repo@digest's
// referrers index (the sha256-<hex> tag: docker-registry 2.8 has no
// referrers API).
func dropReferrers(t *testing.T, repo, digest, artifactType string) {
	t.Helper()
	tag, err := image.CosignTag(digest, "")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var drop []v1.Hash
	for _, d := range im.Manifests {
		if d.ArtifactType == artifactType {
			drop = append(drop, d.Digest)
		}
	}
	if len(drop) == 0 {
		t.Fatalf("%s has no referrer of %s", ref, artifactType)
	}
	idx = mutate.RemoveManifests(idx, func(d v1.Descriptor) bool { return slices.Contains(drop, d.Digest) })
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
}

// cosignBinary is $FROMSCRATCH_COSIGN or cosign on PATH; the test skips
// the cosign part without one.
func cosignBinary(t *testing.T) string {
	if p := os.Getenv("FROMSCRATCH_COSIGN"); p != "" {
		return p
	}
	p, err := exec.LookPath("cosign")
	if err != nil {
		t.Log("no cosign on PATH and no FROMSCRATCH_COSIGN: cosign's own check left out")
		return ""
	}
	return p
}

// runCosign runs cosign verify and cosign verify-attestation --type
// slsaprovenance1 on ref with the key pair in keyDir, offline; want is ""
// for both to pass, "fail" for both to fail.
func runCosign(t *testing.T, cosign, keyDir, ref, want string) {
	t.Helper()
	home := t.TempDir()
	for _, args := range [][]string{
		{"verify", "--key", filepath.Join(keyDir, "cosign.pub"), "--insecure-ignore-tlog", "--offline", "--allow-http-registry", ref},
		{"verify-attestation", "--key", filepath.Join(keyDir, "cosign.pub"), "--insecure-ignore-tlog", "--offline", "--allow-http-registry", "--type", "slsaprovenance1", ref},
	} {
		cmd := exec.Command(cosign, args...)
		cmd.Env = []string{"HOME=" + home, "TUF_ROOT=" + filepath.Join(home, "tuf"), "PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		t.Logf("cosign %s: %v\n%s", args[0], err, out)
		if (err == nil) != (want == "") {
			t.Errorf("cosign %s %s: %v, want %s\n%s", args[0], ref, err, map[bool]string{true: "a pass", false: "a failure"}[want == ""], out)
		}
	}
}
