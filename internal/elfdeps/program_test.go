package elfdeps

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProgram(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A core dump: a checked-in program with e_type (at 0x10) set to ET_CORE.
	core := read("hello-amd64-static")
	binary.LittleEndian.PutUint16(core[0x10:], uint16(elf.ET_CORE))
	// An ELF header cut short.
	truncated := read("hello-arm64-static")[:40]

	for _, tc := range []struct {
		name string
		path string
		want string // "" for a program, else the whole message after the path
	}{
		{"static amd64", filepath.Join("testdata", "hello-amd64-static"), ""},
		{"static arm64", filepath.Join("testdata", "hello-arm64-static"), ""},
		{"static arm", filepath.Join("testdata", "hello-arm-v7-static"), ""},
		{"static riscv64", filepath.Join("testdata", "hello-riscv64-static"), ""},
		{"static-pie", filepath.Join("testdata", "hello-amd64-static-pie"), ""},
		{"dynamic amd64", filepath.Join("testdata", "hello-amd64-dynamic"), ""},
		{"dynamic arm64", filepath.Join("testdata", "hello-arm64-dynamic"), ""},
		{"dynamic arm", filepath.Join("testdata", "hello-arm-v7-dynamic"), ""},
		{"dynamic riscv64", filepath.Join("testdata", "hello-riscv64-dynamic"), ""},
		{"object file", filepath.Join("testdata", "foo.o"),
			"is a relocatable object file (ET_REL, a .o): link it into a program first"},
		{"shared library", filepath.Join("testdata", "libbar.so"),
			"is a shared library (ET_DYN with DT_SONAME libbar.so.1 and without PT_INTERP), not a program: give the program that loads it"},
		{"core dump", write("core", core), "is a core dump (ET_CORE), not a program"},
		{"passwd", write("passwd", []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")),
			`is not an ELF file (it starts with "root:x:0:0:root:"): give a compiled program`},
		{"short text", write("short", []byte("hi\n")), `is not an ELF file (it starts with "hi\n"): give a compiled program`},
		{"empty", write("empty", nil), "is empty, not an ELF program"},
		{"script", write("script", []byte("#!/bin/sh\necho hello\n")),
			"is a script (#!/bin/sh), not an ELF program: a scratch image has no interpreter for it"},
		{"archive", write("libx.a", []byte("!<arch>\n/               0           0     0     644     4         `\n")),
			"is an ar archive (a static library, a .a), not a program: link it into a program first"},
		{"truncated ELF", write("truncated", truncated), "is not a valid ELF file (parsing ELF header: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := Program(tc.path)
			if tc.want == "" {
				if err != nil || info == nil {
					t.Fatalf("Program = %v, %v; want a program", info, err)
				}
				return
			}
			var npe *NotProgramError
			if !errors.As(err, &npe) {
				t.Fatalf("Program = %v, %v; want a *NotProgramError", info, err)
			}
			if info != nil {
				t.Errorf("Program returned %+v with its error, want nil", info)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tc.path+" "+tc.want) {
				t.Errorf("error\n%s\nwant\n%s %s", msg, tc.path, tc.want)
			}
		})
	}
}

func TestProgramMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gone")
	_, err := Program(p)
	var npe *NotProgramError
	if err == nil || errors.As(err, &npe) || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), p) {
		t.Errorf("Program(missing) = %v, want a not-exist error naming %s", err, p)
	}
}

// The ET_DYN rule on its own, including the cases no checked-in file has.
func TestProgramError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		info    Info
		program bool
	}{
		{"ET_EXEC", Info{Type: elf.ET_EXEC, Entry: 0x401000}, true},
		{"PIE with interpreter", Info{Type: elf.ET_DYN, Entry: 0x1040, Interp: "/lib64/ld-linux-x86-64.so.2", PIE: true}, true},
		// glibc's libc.so.6 is a library that runs: it has PT_INTERP and a DT_SONAME.
		{"libc.so.6", Info{Type: elf.ET_DYN, Entry: 0x27410, Interp: "/lib64/ld-linux-x86-64.so.2", SOName: "libc.so.6"}, true},
		{"static-pie", Info{Type: elf.ET_DYN, Entry: 0x9600, PIE: true}, true},
		// A static-pie from a linker older than DF_1_PIE (binutils < 2.33).
		{"static-pie without DF_1_PIE", Info{Type: elf.ET_DYN, Entry: 0x9600}, true},
		{"library", Info{Type: elf.ET_DYN, SOName: "libbar.so.1"}, false},
		{"library without soname", Info{Type: elf.ET_DYN}, false},
		// The loader ld-linux-*.so.* has an entry point and a DT_SONAME.
		{"loader", Info{Type: elf.ET_DYN, Entry: 0x1ab70, SOName: "ld-linux-x86-64.so.2"}, false},
		{"object", Info{Type: elf.ET_REL}, false},
		{"core", Info{Type: elf.ET_CORE}, false},
		{"none", Info{Type: elf.ET_NONE}, false},
	} {
		err := tc.info.ProgramError("/x")
		if (err == nil) != tc.program {
			t.Errorf("%s: ProgramError = %v, want program %v", tc.name, err, tc.program)
		}
	}
	err := (&Info{Type: elf.ET_DYN}).ProgramError("/x")
	if want := "/x is a shared library (ET_DYN without PT_INTERP, DF_1_PIE or an entry point), not a program: give the program that loads it"; err == nil || err.Error() != want {
		t.Errorf("ProgramError(library without soname) = %v, want %q", err, want)
	}
	if err := (&Info{Type: elf.ET_NONE}).ProgramError("/x"); err == nil || err.Error() != "/x is an ELF file of type ET_NONE, not a program" {
		t.Errorf("ProgramError(ET_NONE) = %v", err)
	}
}

// What the host's own files are: glibc's libc.so.6 runs (it has PT_INTERP),
// its loader and a library without PT_INTERP do not count as programs.
func TestProgramHostFiles(t *testing.T) {
	for _, tc := range []struct {
		path    string
		program bool
	}{
		{"/lib/x86_64-linux-gnu/libc.so.6", true},
		{"/lib64/ld-linux-x86-64.so.2", false},
		{"/lib/x86_64-linux-gnu/libm.so.6", false},
		{"/etc/passwd", false},
	} {
		if _, err := os.Stat(tc.path); err != nil {
			t.Logf("skipping %s: %v", tc.path, err)
			continue
		}
		_, err := Program(tc.path)
		if (err == nil) != tc.program {
			t.Errorf("Program(%s) = %v, want program %v", tc.path, err, tc.program)
		}
	}
}

// What the compilers on the machine produce, beyond the checked-in files.
func TestProgramCompiled(t *testing.T) {
	dir := t.TempDir()
	hello := src(t, "hello.c")
	for _, tc := range []struct {
		name, cc string
		args     []string
		want     string
	}{
		{"gcc -static-pie", "gcc", []string{"-static-pie", hello}, ""},
		{"gcc -no-pie", "gcc", []string{"-no-pie", hello}, ""},
		{"gcc -shared without soname", "gcc", []string{"-shared", "-fPIC", src(t, "bar.c")}, "is a shared library (ET_DYN without PT_INTERP, DF_1_PIE or an entry point)"},
		{"gcc -c", "gcc", []string{"-c", hello}, "is a relocatable object file"},
		{"riscv64 -c", "riscv64-linux-gnu-gcc", []string{"-c", hello}, "is a relocatable object file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := build(t, tc.cc, filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")), tc.args...)
			_, err := Program(out)
			if tc.want == "" {
				if err != nil {
					t.Errorf("Program = %v, want a program", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Program = %v, want %q", err, tc.want)
			}
		})
	}
}
