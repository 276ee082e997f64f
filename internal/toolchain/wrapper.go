package toolchain

import "strings"

// compilerScript is the wrapper of a multi-word compiler (zig cc -target
// T). zig 0.11 compiles "-c a.c b.c" into one object holding both files,
// so a Makefile that compiles several sources in one command fails with
// duplicate symbols (lz4): with -c, several sources and no -o, the
// wrapper compiles each source by a call of its own, every other argument
// kept in its place, and stops at the first failure; gcc writes a.o and
// b.o the same way. Anything else (one source, -o, a link) passes as it
// is.
func compilerScript(argv []string) []byte {
	cmd := make([]string, len(argv))
	for i, a := range argv {
		cmd[i] = shellQuote(a)
	}
	return []byte(strings.ReplaceAll(compilerScriptText, "@CMD@", strings.Join(cmd, " ")))
}

// compilerScriptText is compilerScript's POSIX shell; @CMD@ is the
// quoted command. A source is an argument with a source file's suffix
// that is no option's value; options whose value is the next argument
// are skipped with it.
const compilerScriptText = `#!/bin/sh
# Several sources with -c and no -o: one call per source (zig cc 0.11
# would write one object holding them all).
c=0 o=0 n=0 i=0 skip=0 srcs=" "
for a in "$@"; do
	i=$((i+1))
	if [ "$skip" = 1 ]; then skip=0; continue; fi
	case $a in
	-c) c=1 ;;
	-o) o=1; skip=1 ;;
	-I|-D|-U|-include|-imacros|-isystem|-iquote|-idirafter|-iprefix|-MF|-MT|-MQ|-x|-L|-T|-u|-z|-target|-Xlinker|-Xclang|-Xassembler|-Xpreprocessor) skip=1 ;;
	-*) ;;
	*.c|*.cc|*.cp|*.cpp|*.cxx|*.c++|*.C|*.CPP|*.i|*.ii|*.s|*.S|*.sx|*.m|*.mm) n=$((n+1)); srcs="$srcs$i " ;;
	esac
done
if [ "$c" = 1 ] && [ "$o" = 0 ] && [ "$n" -gt 1 ]; then
	for s in $srcs; do
		args="" i=0
		for a in "$@"; do
			i=$((i+1))
			case $srcs in *" $i "*) [ "$i" = "$s" ] || continue ;; esac
			args="$args \"\${$i}\""
		done
		eval "@CMD@ $args" || exit
	done
	exit 0
fi
exec @CMD@ "$@"
`
