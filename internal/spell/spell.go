// Package spell spells fromscratch's commands the way its user runs them,
// for the advice in error messages ("run go tool mage toolchains:lock"):
// mage's spelling from a magefile (the default), the command's from the
// installed fromscratch command (cmd/fromscratch calls UseCommand).
package spell

import (
	"strings"
	"sync/atomic"
)

var command atomic.Bool

// UseCommand makes Command name the fromscratch command's verbs.
func UseCommand() { command.Store(true) }

// Verb is target named as its user names it, without the program:
// "toolchains:lock" from a magefile, "toolchains lock" after UseCommand.
func Verb(target string) string {
	if command.Load() {
		return strings.ReplaceAll(target, ":", " ")
	}
	return target
}

// Command is the command line that runs target, given by its mage name
// ("build:all", "toolchains:lock", "setup"): "go tool mage build:all", or
// "fromscratch build all" after UseCommand.
func Command(target string) string {
	if command.Load() {
		return "fromscratch " + strings.ReplaceAll(target, ":", " ")
	}
	return "go tool mage " + target
}
