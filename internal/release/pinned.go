package release

import "strings"

// NewPinnedResolver is a Resolver for images whose libraries come from
// pinned packages unpacked by fromscratch rather than installed by dpkg:
// owner names the package of such a file (from the lock file, which knows
// name, version and architecture). Paths owner does not know, and every
// package asked for by name, go to next (the dpkg resolver); next may be
// nil.
func NewPinnedResolver(owner func(hostPath string) (Origin, bool), next Resolver) Resolver {
	return pinnedResolver{owner: owner, next: next}
}

type pinnedResolver struct {
	owner func(string) (Origin, bool)
	next  Resolver
}

func (r pinnedResolver) Origin(hostPath string) (Origin, bool) {
	if o, ok := r.owner(hostPath); ok {
		return o, true
	}
	if r.next == nil {
		return Origin{}, false
	}
	return r.next.Origin(hostPath)
}

func (r pinnedResolver) Package(name string) (Origin, bool) {
	if r.next == nil {
		return Origin{}, false
	}
	return r.next.Package(name)
}

// NewLockedResolver is the Resolver of a build in the pinned build root:
// every fact comes from its lock, none from the host's dpkg. owner names
// the locked package of a file of the root (the build root's contents);
// find returns the locked package of a name. Package accepts a name
// qualified with an architecture ("libc6-dev:amd64") when the locked
// package is of that architecture or "all".
func NewLockedResolver(owner func(hostPath string) (Origin, bool), find func(name string) (Origin, bool)) Resolver {
	return lockedResolver{owner: owner, find: find}
}

type lockedResolver struct {
	owner func(string) (Origin, bool)
	find  func(string) (Origin, bool)
}

func (r lockedResolver) Origin(hostPath string) (Origin, bool) { return r.owner(hostPath) }

func (r lockedResolver) Package(name string) (Origin, bool) {
	if !validDpkgName(name) {
		return Origin{}, false
	}
	pkg, arch, _ := strings.Cut(name, ":")
	o, ok := r.find(pkg)
	if !ok || (arch != "" && o.Arch != arch && o.Arch != "all") {
		return Origin{}, false
	}
	return o, true
}
