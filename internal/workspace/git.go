package workspace

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// Revision is the commit checked out in the git repository at root, read
// from its .git files as git rev-parse HEAD would say it (a branch, a
// detached HEAD, a worktree or a submodule's "gitdir:" file, loose or
// packed refs), without running git: "" when root is not a checkout or
// the commit cannot be read. A build never fails for it.
func Revision(root string) string {
	gitDir := findGitDir(filepath.Join(root, ".git"))
	if gitDir == "" {
		return ""
	}
	common := gitDir
	if b, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		common = resolve(gitDir, strings.TrimSpace(string(b)))
	}
	head, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	ref, isRef := strings.CutPrefix(strings.TrimSpace(string(head)), "ref: ")
	if !isRef {
		return CommitID(ref)
	}
	for range 8 { // a ref may be symbolic; git stops at 5 levels
		id, next := readRef(gitDir, common, ref)
		if next == "" {
			return CommitID(id)
		}
		ref = next
	}
	return ""
}

// findGitDir follows a "gitdir: PATH" file (worktrees, submodules).
func findGitDir(dotGit string) string {
	st, err := os.Stat(dotGit)
	switch {
	case err != nil:
		return ""
	case st.IsDir():
		return dotGit
	}
	b, err := os.ReadFile(dotGit)
	if err != nil {
		return ""
	}
	p, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
	if !ok {
		return ""
	}
	return resolve(filepath.Dir(dotGit), p)
}

func resolve(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// readRef returns the commit a ref names, or the ref it points to.
// Per-worktree refs (HEAD and the like) live in gitDir, shared ones in
// common; packed-refs is read last, as git does.
func readRef(gitDir, common, ref string) (id, next string) {
	for _, dir := range []string{gitDir, common} {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(ref)))
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if n, ok := strings.CutPrefix(s, "ref: "); ok {
			return "", n
		}
		return s, ""
	}
	f, err := os.Open(filepath.Join(common, "packed-refs"))
	if err != nil {
		return "", ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if id, name, ok := strings.Cut(sc.Text(), " "); ok && name == ref {
			return id, ""
		}
	}
	return "", ""
}

// CommitID returns s trimmed when it is a SHA-1 or SHA-256 commit id, else "".
func CommitID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) != 40 && len(s) != 64 {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return ""
		}
	}
	return s
}
