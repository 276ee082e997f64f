package release

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
