package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/signature"
)

// The signing key is read from FROMSCRATCH_SIGNING_KEY with
// COSIGN_PASSWORD; a key inside the project, a wrong password and verify
// without --key are refused, naming the setting.
func TestSigningSettings(t *testing.T) {
	root := repoRoot(t)
	priv, _, err := signature.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "cosign.key")
	if err := os.WriteFile(key, priv, 0o600); err != nil {
		t.Fatal(err)
	}

	c, _, cfg := testCLI(t, root, "FROMSCRATCH_SIGNING_KEY="+key, "COSIGN_PASSWORD=pw")
	s, err := c.signing(t.Context(), cfg)
	if err != nil || s.Key == nil {
		t.Fatalf("signing with %s: %v, %v", key, s.Key, err)
	}

	c, _, cfg = testCLI(t, root, "FROMSCRATCH_SIGNING_KEY="+key, "COSIGN_PASSWORD=wrong")
	if _, err := c.signing(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "COSIGN_PASSWORD") || !strings.Contains(err.Error(), key) {
		t.Errorf("a wrong password: %v, want COSIGN_PASSWORD and %s named", err, key)
	}

	inside := filepath.Join(root, "recipes", "cosign.key")
	c, _, cfg = testCLI(t, root, "FROMSCRATCH_SIGNING_KEY="+inside, "COSIGN_PASSWORD=pw")
	var usage usageError
	if _, err := c.signing(t.Context(), cfg); !errors.As(err, &usage) || !strings.Contains(err.Error(), "FROMSCRATCH_SIGNING_KEY") {
		t.Errorf("a key inside the project: %v, want a usage error naming FROMSCRATCH_SIGNING_KEY", err)
	}

	c, _, cfg = testCLI(t, root)
	if s, err := c.signing(t.Context(), cfg); err != nil || s.Key != nil {
		t.Errorf("no key: %v, %v; want nothing signed and no error", s.Key, err)
	}
	if err := c.Verify(t.Context(), "127.0.0.1:1/fromscratch/hello:gcc-static"); !errors.As(err, &usage) || !strings.Contains(err.Error(), "--key") {
		t.Errorf("verify without a key: %v, want a usage error naming --key", err)
	}
}

// On GitHub Actions the provenance names the workflow and the run from
// GitHub's variables; elsewhere nothing.
func TestGitHubIdentity(t *testing.T) {
	env := map[string]string{
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/matrix.yml@refs/tags/v1",
		"GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2",
	}
	b, i := githubIdentity(func(k string) string { return env[k] })
	if b != "https://github.com/o/r/.github/workflows/matrix.yml@refs/tags/v1" || i != "https://github.com/o/r/actions/runs/42/attempts/2" {
		t.Errorf("githubIdentity = %q, %q", b, i)
	}
	if b, i := githubIdentity(func(string) string { return "" }); b != "" || i != "" {
		t.Errorf("outside GitHub Actions: %q, %q, want nothing", b, i)
	}
}
