package bench

import (
	"syscall"
	"time"
)

// childCPU is the user and system CPU time of every child process this
// process has waited for so far, with theirs (getrusage RUSAGE_CHILDREN):
// a compiler's cc1 and as count through the compiler, a sandboxed step's
// through bubblewrap. The difference over one way is the CPU its commands
// used, which other load on the machine changes far less than wall time:
// the sandbox's cost is compared on it. Each way runs alone, so no other
// child of this process ends inside its window.
func childCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
