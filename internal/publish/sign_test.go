package publish

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/signature"
)

// release's SHA256SUMS.sig verifies over SHA256SUMS with the public key
// and not with another; SHA256SUMS does not list it, so writing the sums
// again gives the same bytes and the tree still checks out.
func TestSignSums(t *testing.T) {
	k := testKeys(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "matrix.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := release.WriteSHA256SUMS(dir); err != nil {
		t.Fatal(err)
	}
	if err := signSums(k[0].signer, dir); err != nil {
		t.Fatal(err)
	}
	sums, err := os.ReadFile(filepath.Join(dir, release.SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(filepath.Join(dir, release.SumsSignatureFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := k[0].public.Verify(sums, string(sig)); err != nil {
		t.Errorf("SHA256SUMS.sig with its key: %v", err)
	}
	if err := k[1].public.Verify(sums, string(sig)); !errors.Is(err, signature.ErrBadSignature) {
		t.Errorf("SHA256SUMS.sig with another key: %v, want ErrBadSignature", err)
	}
	if err := release.WriteSHA256SUMS(dir); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(filepath.Join(dir, release.SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(sums) {
		t.Errorf("SHA256SUMS lists its signature:\n%s", again)
	}
	if err := release.VerifySHA256SUMS(dir); err != nil {
		t.Errorf("the signed tree: %v", err)
	}
}
