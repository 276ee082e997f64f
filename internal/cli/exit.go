package cli

import "errors"

// Exit codes of cmd/fromscratch and of the mage targets.
const (
	ExitOK       = 0
	ExitFailure  = 1 // anything else: a cell failed, a file is missing, ...
	ExitUsage    = 2 // a bad command line (cmd/fromscratch only; mage has its own)
	ExitSizeGate = 3 // matrix:diff or matrix:compare: a cell grew past the size gate
)

// ExitError is an error that asks for its own exit code. Its ExitStatus
// method is the one mage looks for on a target's error, so a target that
// returns an ExitError exits with Code under mage too.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string   { return e.Err.Error() }
func (e *ExitError) Unwrap() error   { return e.Err }
func (e *ExitError) ExitStatus() int { return e.Code }

// ExitCode is the exit code for err: 0 for nil, the code of an ExitError
// in its chain, 2 for a bad command line, else 1.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	var u usageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	return ExitFailure
}
