// Package elfdeps is an ldd that never runs the binary. It reads ELF files
// with debug/elf, so it works the same for every target architecture, and
// it computes which files a dynamic program needs in a FROM scratch image.
//
// Inspect reads what the loader reads: the program headers PT_INTERP and
// PT_DYNAMIC (a file whose section headers were stripped is still read
// correctly). Resolve walks DT_NEEDED breadth first the way the loader
// does, against a target sysroot. Verify checks the files of an image root
// against the same model of the loader. Resolve and Verify share that
// model (loader.go), so Verify accepts what Resolve produces.
//
// Program checks that a file is something the kernel can start before any
// of that happens: not a text file, an object file (.o), a shared library
// or a core dump. A static-pie is ET_DYN without PT_INTERP, like a shared
// library; the DF_1_PIE flag its linker sets tells them apart (see
// Info.ProgramError).
//
// # Image layout
//
// The program is /<basename> (Options.ImagePath to change it). The
// interpreter goes to its PT_INTERP path, e.g. /lib64/ld-linux-x86-64.so.2,
// /lib/ld-linux-aarch64.so.1, /lib/ld-linux-armhf.so.3,
// /lib/ld-linux-riscv64-lp64d.so.1, /lib/ld-musl-x86_64.so.1. A library
// goes to /lib/<DT_NEEDED name> as a regular file (Source has its symbolic
// links followed), whichever directory it was found in on the host, unless
// it was found through a $ORIGIN entry: then it keeps its place relative to
// the object carrying the entry. For /hello with DT_RUNPATH
// $ORIGIN/../private the library goes to /private/<name>, since /.. is /.
//
// # Where the loaders search in a scratch image
//
// A scratch image has no /etc/ld.so.cache and no /etc/ld-musl-*.path, so
// each loader searches only its compiled-in directories. `ld.so --help` of
// the Debian 12 loaders (glibc 2.36; the foreign ones under qemu) lists,
// and running programs with chroot in a root that holds only the program,
// the interpreter and the libraries confirms:
//
//	amd64 glibc     /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib /usr/lib
//	arm64 glibc     /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /lib /usr/lib
//	armhf glibc     /lib/arm-linux-gnueabihf /usr/lib/arm-linux-gnueabihf /lib /usr/lib
//	riscv64 glibc   /lib/riscv64-linux-gnu /usr/lib/riscv64-linux-gnu /lib /usr/lib
//	amd64 musl      /lib /usr/local/lib /usr/lib
//
// With libc.so.6 (for C++ also libstdc++.so.6, libgcc_s.so.1, libm.so.6)
// in /lib, a C and a C++ program run on amd64, arm64, armhf and riscv64,
// and a musl-gcc program runs on amd64. With a library moved to /lib64 or
// /usr/lib64 the program fails with "cannot open shared object file" on
// every architecture: Debian's glibc does not search /lib64, not even on
// x86_64 where its interpreter lives there, so Verify does not accept
// /lib64 either. /usr/local/lib works for musl only, another
// architecture's multiarch directory never. /lib is the directory every
// loader searches, hence the layout. TestVerifyAgreesWithLoader repeats
// these runs and checks that Verify's verdict matches the loader's.
// glibc-hwcaps and legacy hwcap subdirectories are ignored: none exist on
// the host or in the Debian cross sysroots.
//
// # Names the loader provides itself
//
// musl's loader is its libc: a DT_NEEDED of libc.so (and of libm, libpthread,
// librt, libdl, libutil and libxnet under any suffix, as musl's
// load_library reserves them) is the interpreter and adds no file. glibc's
// libc.so.6 needs ld-linux-*.so.*, and zig's glibc programs list it in
// DT_NEEDED: a name equal to the interpreter's basename or DT_SONAME is the
// interpreter.
//
// # Search order, $ORIGIN, DT_RPATH and DT_RUNPATH
//
// glibc: when the object has no DT_RUNPATH, the DT_RPATH of the object and
// of every object up the chain that loaded it (DT_RPATH is ignored on an
// object that has DT_RUNPATH), then the object's DT_RUNPATH, then the
// system directories (Options.LibDirs in Resolve). DT_RUNPATH therefore
// serves only the object that carries it. musl walks the same chain but
// takes each object's DT_RUNPATH, else its DT_RPATH. Observed: /hello with
// DT_RUNPATH $ORIGIN/../private and /private/libfoo.so with DT_RUNPATH
// $ORIGIN, needing /private/libbar.so, run on both; with libfoo.so moved
// to /usr/lib, glibc no longer finds libbar.so while musl does. Debian's
// linker writes DT_RUNPATH unless given --disable-new-dtags. Candidates of
// another machine or class are skipped, as the loader skips them. Entries
// relative to the working directory or using $LIB or $PLATFORM are
// ignored.
//
// Both loaders find the program's own $ORIGIN through /proc/self/exe. A
// container runtime mounts /proc; a bare chroot does not, and there a
// program whose libraries are found only through $ORIGIN fails to start
// (observed for glibc and musl). The chroot tests mount /proc as runtimes do.
package elfdeps
