package debian

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// configure writes, after the last package, what the packages' maintainer
// scripts would have written that builds need, deterministically: the
// merged-/usr links, the accounts, the name service and hosts files, and
// the alternatives. Files get the newest package date.
func (a *assembler) configure() error {
	steps := []func() error{
		a.linkUsrMerged, // bin -> usr/bin, ...: what usrmerge does
		a.accounts,      // /etc/passwd, /etc/group: base-passwd's postinst
		a.etcFiles,      // nsswitch.conf (libc-bin), profile (base-files), hosts
		a.alternatives,  // update-alternatives in many postinst scripts
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (a *assembler) linkUsrMerged() error {
	for _, top := range usrMerged {
		if !slices.Contains(alwaysLinked, top) && !a.dirs["usr/"+top] {
			continue
		}
		if err := a.mkdirs("usr/" + top); err != nil {
			return err
		}
		if err := a.symlink("(merged /usr)", top, "usr/"+top, a.newest); err != nil {
			return err
		}
	}
	return nil
}

// accounts writes /etc/passwd and /etc/group: base-passwd's master files
// and the build user.
func (a *assembler) accounts() error {
	for _, f := range []struct{ name, extra string }{
		{"passwd", fmt.Sprintf("%s:x:%d:%d:fromscratch build:/tmp:/bin/sh\n", BuildUser, BuildUID, BuildUID)},
		{"group", fmt.Sprintf("%s:x:%d:\n", BuildUser, BuildUID)},
	} {
		master, err := os.ReadFile(filepath.Join(a.root, "usr/share/base-passwd", f.name+".master"))
		if err != nil {
			return fmt.Errorf("writing /etc/%s: %w (is base-passwd locked?)", f.name, err)
		}
		if err := a.writeFile("etc/"+f.name, append(master, f.extra...), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (a *assembler) etcFiles() error {
	for _, c := range [][2]string{
		{"etc/nsswitch.conf", "usr/share/libc-bin/nsswitch.conf"},
		{"etc/profile", "usr/share/base-files/profile"},
	} {
		data, err := os.ReadFile(filepath.Join(a.root, c[1]))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := a.writeFile(c[0], data, 0o644); err != nil {
			return err
		}
	}
	return a.writeFile("etc/hosts", []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"), 0o644)
}

// alternatives makes the links of alternativeLinks whose target the root has.
func (a *assembler) alternatives() error {
	for _, alt := range alternativeLinks {
		link, target := alt[0], alt[1]
		if strings.Contains(target, "*") {
			matches, err := filepath.Glob(filepath.Join(a.root, path.Dir(link), target))
			if err != nil || len(matches) != 1 {
				continue // none, or more than one version to choose from
			}
			target = filepath.Base(matches[0])
		}
		fi, err := os.Lstat(filepath.Join(a.root, path.Dir(link), target))
		if err != nil || fi.IsDir() {
			continue
		}
		if _, err := os.Lstat(filepath.Join(a.root, link)); err == nil {
			continue // a package ships it
		}
		if err := a.symlink("(alternatives)", link, target, a.newest); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes a file of the configuration, dated like the newest
// package.
func (a *assembler) writeFile(rel string, data []byte, mode os.FileMode) error {
	return a.write("(configuration)", rel, mode, a.newest, bytes.NewReader(data))
}
