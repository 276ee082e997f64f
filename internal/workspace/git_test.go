package workspace

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_NOSYSTEM=1", "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Revision agrees with git rev-parse HEAD on a branch (loose and packed
// refs), a detached HEAD and a linked worktree, and says "" outside git.
func TestRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	if got := Revision(repo); got != "" {
		t.Errorf("no commit yet: Revision = %q, want empty", got)
	}
	os.WriteFile(filepath.Join(repo, "a"), []byte("a"), 0o644)
	git(t, repo, "add", "a")
	git(t, repo, "commit", "-qm", "a")
	check := func(what, dir string) {
		t.Helper()
		if got, want := Revision(dir), git(t, dir, "rev-parse", "HEAD"); got != want {
			t.Errorf("%s: Revision = %q, git says %q", what, got, want)
		}
	}
	check("loose ref", repo)
	git(t, repo, "pack-refs", "--all")
	if _, err := os.Stat(filepath.Join(repo, ".git", "refs", "heads", "main")); err == nil {
		t.Fatal("pack-refs left the loose ref")
	}
	check("packed ref", repo)
	os.WriteFile(filepath.Join(repo, "b"), []byte("b"), 0o644)
	git(t, repo, "add", "b")
	git(t, repo, "commit", "-qm", "b")
	check("loose ref over a packed one", repo)
	wt := filepath.Join(t.TempDir(), "wt")
	git(t, repo, "worktree", "add", "-q", "-b", "side", wt)
	check("worktree", wt)
	git(t, repo, "checkout", "-q", "--detach", "HEAD~1")
	check("detached", repo)
	if got := Revision(t.TempDir()); got != "" {
		t.Errorf("outside git: %q", got)
	}
}
