package matrix

import (
	"crypto/sha256"
	"fmt"
)

// Sizes of the Debian 12 runtime libraries the dynamic cells copy in.
const (
	ldX86     = 210968  // /lib64/ld-linux-x86-64.so.2
	libcX86   = 2115088 // libc.so.6 (amd64); with ld: the ~2.3 MB glibc closure
	libmX86   = 907784
	stdcppX86 = 2190752 // libstdc++.so.6
	gccsX86   = 125312  // libgcc_s.so.1
	ldMusl    = 653640  // /lib/ld-musl-x86_64.so.1, which is also musl's libc.so
	ldArm64   = 187776
	libcArm64 = 1651472
	ldArm     = 145336
	libcArm   = 1072256
)

// cell describes one built cell by hand; built derives the layer and image
// sizes from it the way the image package lays files out.
type cell struct {
	recipe, platform, toolchain, version, libc, linkage string
	binary                                              int64
	text, data, bss                                     uint64
	libs                                                int64
	nlibs                                               int
	compressed                                          int64 // gzip of the layer
}

func tarSize(files ...int64) int64 {
	n := int64(1024) // end-of-archive blocks
	for _, f := range files {
		n += 512 + (f+511)/512*512
	}
	return n
}

func built(c cell) Row {
	return Row{
		Recipe: c.recipe, Platform: c.platform, Toolchain: c.toolchain, ToolchainVersion: c.version,
		Libc: c.libc, Linkage: c.linkage, Status: StatusBuilt,
		Sizes: Sizes{
			Binary: c.binary, Text: c.text, Data: c.data, BSS: c.bss,
			Libraries: c.libs, LibraryCount: c.nlibs,
			LayersUncompressed: tarSize(c.binary, c.libs) + int64(512*c.nlibs),
			LayersCompressed:   c.compressed,
			ImageRegistry:      c.compressed + 1187, // config + manifest
			ImageDocker:        c.binary + c.libs,
		},
		Digest: digestOf(c.recipe, c.platform, c.toolchain, c.linkage),
		Smoke:  Smoke{Status: SmokePass, Output: "hello, world\n", DurationMS: 412, Engine: "docker"},
	}
}

func digestOf(parts ...string) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(fmt.Sprint(parts))))
}

func notApplicable(recipe, platform, toolchain, linkage, reason string) Row {
	return Row{Recipe: recipe, Platform: platform, Toolchain: toolchain, Linkage: linkage,
		Status: StatusNotApplicable, Reason: reason}
}

func ptr[T any](v T) *T { return &v }

const (
	noMuslCross = "musl-gcc targets the build host (amd64) only"
	noMuslCpp   = "musl-gcc has no C++ standard library"
)

// fixture is a small hand-written matrix with one of each kind of cell,
// deliberately out of order.
func fixture() *Matrix {
	rows := []Row{
		built(cell{"hello", "linux/amd64", "gcc", "12.2.0", "glibc", "dynamic", 15960, 1345, 600, 8, ldX86 + libcX86, 2, 1003521}),
		built(cell{"hello", "linux/amd64", "gcc", "12.2.0", "glibc", "static", 762424, 681421, 23592, 22688, 0, 0, 318977}),
		built(cell{"hello", "linux/amd64", "musl-gcc", "1.2.3", "musl", "static", 17808, 14650, 328, 1560, 0, 0, 8211}),
		built(cell{"hello", "linux/amd64", "musl-gcc", "1.2.3", "musl", "dynamic", 13936, 1198, 544, 24, ldMusl, 1, 294112}),
		built(cell{"hello", "linux/amd64", "zig", "0.11.0", "musl", "static", 5120, 3386, 316, 1424, 0, 0, 2803}),
		built(cell{"hello", "linux/amd64", "zig", "0.11.0", "glibc", "dynamic", 6432, 1021, 592, 8, ldX86 + libcX86, 2, 994207}),
		built(cell{"hello", "linux/arm64", "gcc", "12.2.0", "glibc", "static", 703488, 598733, 21480, 22504, 0, 0, 271330}),
		built(cell{"hello", "linux/arm64", "gcc", "12.2.0", "glibc", "dynamic", 70680, 1523, 632, 8, ldArm64 + libcArm64, 2, 745118}),
		notApplicable("hello", "linux/arm64", "musl-gcc", "static", noMuslCross),
		built(cell{"hello", "linux/arm64", "zig", "0.11.0", "musl", "static", 6176, 3952, 312, 1432, 0, 0, 3120}),
		{Recipe: "hello", Platform: "linux/arm64", Toolchain: "zig", ToolchainVersion: "0.11.0", Libc: "glibc",
			Linkage: "dynamic", Status: StatusFailed,
			Reason: "ld.lld: error: unable to find library -lc\n(sysroot /usr/aarch64-linux-gnu)"},
		built(cell{"hello", "linux/arm/v7", "gcc", "12.2.0", "glibc", "dynamic", 8012, 1062, 296, 4, ldArm + libcArm, 2, 518402}),
		built(cell{"hello", "linux/riscv64", "zig", "0.11.0", "musl", "static", 6136, 4012, 328, 1440, 0, 0, 3190}),
		{Recipe: "hello", Platform: "linux/riscv64", Toolchain: "gcc", Linkage: "static", Status: StatusUnavailable,
			Reason: "riscv64-linux-gnu-gcc not found (apt-get install gcc-riscv64-linux-gnu)"},
		built(cell{"hello-cpp", "linux/amd64", "gcc", "12.2.0", "glibc", "static", 2290176, 2011337, 61208, 29848, 0, 0, 803315}),
		built(cell{"hello-cpp", "linux/amd64", "gcc", "12.2.0", "glibc", "dynamic", 16432, 2003, 736, 280,
			ldX86 + libcX86 + libmX86 + stdcppX86 + gccsX86, 5, 2367901}),
		notApplicable("hello-cpp", "linux/amd64", "musl-gcc", "static", noMuslCpp),
		notApplicable("hello-cpp", "linux/amd64", "musl-gcc", "dynamic", noMuslCpp),
		built(cell{"hello-cpp", "linux/amd64", "zig", "0.11.0", "musl", "static", 612344, 501877, 19120, 10272, 0, 0, 224987}),
	}
	// Smoke and reproducibility outcomes beyond the happy path.
	for i := range rows {
		r := &rows[i]
		switch r.Key() {
		case Key{"hello", "linux/arm/v7", "gcc", "dynamic"}:
			r.Smoke = Smoke{Status: SmokeFail, Output: "exec /hello: no such file or directory\n",
				Reason: "exit status 1", DurationMS: 655, Engine: "docker"}
		case Key{"hello", "linux/riscv64", "zig", "static"}:
			r.Smoke = Smoke{Status: SmokeSkipped, Reason: "no binfmt_misc handler for riscv64"}
		case Key{"hello", "linux/amd64", "gcc", "static"}:
			r.Reproducible = ptr(true)
			r.Warnings = []string{"hello.c:3: warning: Using 'getpwnam' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking"}
		case Key{"hello-cpp", "linux/amd64", "gcc", "static"}:
			r.Smoke.Output = "hello, c++\n"
			r.Smoke.Engine = "runc"
			r.Reproducible = ptr(false)
			r.ReproNote = "layer differs: .comment embeds the build path"
		default:
			if r.Status == StatusBuilt {
				r.Reproducible = ptr(true)
			}
		}
	}
	return &Matrix{SchemaVersion: SchemaVersion, Rows: rows}
}

// fullMatrix is the size of a real run: 6 recipes x 4 platforms x 6
// variants, derived from per-recipe base sizes, to check that the chart stays
// readable at scale.
func fullMatrix() *Matrix {
	recipes := []struct {
		name        string
		cpp         bool
		static, own int64 // glibc-static binary and the program's own code
	}{
		{"hello", false, 762424, 1200},
		{"hello-cpp", true, 2290176, 2100},
		{"lua", false, 1120344, 240000},
		{"sqlite3", false, 2604512, 1390000},
		{"jq", false, 1498760, 420000},
		{"zstd", false, 1350192, 610000},
	}
	platforms := []struct {
		name          string
		factor        float64
		closure, musl int64
	}{
		{"linux/amd64", 1, ldX86 + libcX86, ldMusl},
		{"linux/arm64", 0.93, ldArm64 + libcArm64, 0},
		{"linux/arm/v7", 0.71, ldArm + libcArm, 0},
		{"linux/riscv64", 0.88, 180336 + 1438816, 0},
	}
	var m Matrix
	for _, rc := range recipes {
		for _, p := range platforms {
			scale := func(n int64) int64 { return int64(float64(n) * p.factor) }
			add := func(tc, libc, link string, bin, libs int64, nlibs int) {
				bin, libs = scale(bin), scale(libs)
				m.Rows = append(m.Rows, built(cell{rc.name, p.name, tc, "", libc, link, bin,
					uint64(bin * 8 / 10), uint64(bin / 40), uint64(bin / 50), libs, nlibs, (bin + libs) * 42 / 100}))
			}
			libcxx := int64(0) // zig links libc++ statically
			if rc.cpp {
				libcxx = 606000
			}
			add("gcc", "glibc", "static", rc.static, 0, 0)
			add("gcc", "glibc", "dynamic", rc.own+14000, p.closure, 2)
			switch {
			case rc.cpp:
				m.Rows = append(m.Rows, notApplicable(rc.name, p.name, "musl-gcc", "static", noMuslCpp),
					notApplicable(rc.name, p.name, "musl-gcc", "dynamic", noMuslCpp))
			case p.musl == 0:
				m.Rows = append(m.Rows, notApplicable(rc.name, p.name, "musl-gcc", "static", noMuslCross),
					notApplicable(rc.name, p.name, "musl-gcc", "dynamic", noMuslCross))
			default:
				add("musl-gcc", "musl", "static", rc.own*11/10+16600, 0, 0)
				add("musl-gcc", "musl", "dynamic", rc.own+12700, p.musl, 1)
			}
			if rc.name == "sqlite3" && p.name == "linux/riscv64" {
				m.Rows = append(m.Rows, Row{Recipe: rc.name, Platform: p.name, Toolchain: "zig", Linkage: "static",
					Status: StatusFailed, Reason: "zig cc: unsupported relocation R_RISCV_ALIGN"})
			} else {
				add("zig", "musl", "static", rc.own*9/10+3900+libcxx, 0, 0)
			}
			add("zig", "glibc", "dynamic", rc.own*9/10+5200+libcxx, p.closure, 2)
		}
	}
	return &m
}

// realFixture is fixture() with two real programs: jq (autotools, a Debian
// source, built with the onig library) on amd64 and arm64 with every
// toolchain, one cell excluded, one failed and one not smoke-run; and lua
// (make) on amd64 and arm64 with gcc, one of whose images failed its smoke
// test.
func realFixture() *Matrix {
	m := fixture()
	program := func(r Row, build, source string, depends ...string) Row {
		r.Build, r.Source, r.Depends = build, source, depends
		if r.Status == StatusBuilt {
			r.Smoke.Output = "6\n"
		}
		return r
	}
	jq := func(r Row) Row { return program(r, "autotools", "Debian jq 1.6-2.1+deb12u2", "onig") }
	lua := func(r Row) Row { return program(r, "make", "Debian lua5.4 5.4.4-3+deb12u1") }
	const ownX86, ownArm64 = 398000, 420000 // libjq and libonig
	m.Rows = append(m.Rows,
		jq(built(cell{"jq", "linux/amd64", "gcc", "12.2.0", "glibc", "static", 1498760, 1210000, 30000, 24000, 0, 0, 640000})),
		jq(built(cell{"jq", "linux/amd64", "gcc", "12.2.0", "glibc", "dynamic", 31000, 21000, 1900, 300, ldX86 + libcX86 + libmX86 + ownX86, 5, 1380000})),
		jq(built(cell{"jq", "linux/amd64", "musl-gcc", "1.2.3", "musl", "static", 1020000, 880000, 9000, 2000, 0, 0, 430000})),
		jq(built(cell{"jq", "linux/amd64", "musl-gcc", "1.2.3", "musl", "dynamic", 33000, 22000, 1900, 300, ldMusl + ownX86, 3, 560000})),
		jq(built(cell{"jq", "linux/amd64", "zig", "0.11.0", "musl", "static", 951000, 820000, 8000, 2000, 0, 0, 402000})),
		jq(notApplicable("jq", "linux/amd64", "zig", "dynamic", "measured: zig 0.11 finds pow10, which glibc 2.34's headers no longer declare")),
		jq(built(cell{"jq", "linux/arm64", "gcc", "12.2.0", "glibc", "static", 1433000, 1150000, 29000, 24000, 0, 0, 600000})),
		jq(built(cell{"jq", "linux/arm64", "gcc", "12.2.0", "glibc", "dynamic", 36000, 24000, 2000, 300, ldArm64 + libcArm64 + ownArm64, 4, 1150000})),
		jq(notApplicable("jq", "linux/arm64", "musl-gcc", "static", noMuslCross)),
		jq(notApplicable("jq", "linux/arm64", "musl-gcc", "dynamic", noMuslCross)),
		jq(built(cell{"jq", "linux/arm64", "zig", "0.11.0", "musl", "static", 988000, 850000, 8000, 2000, 0, 0, 420000})),
		jq(Row{Recipe: "jq", Platform: "linux/arm64", Toolchain: "zig", ToolchainVersion: "0.11.0", Libc: "glibc",
			Linkage: "dynamic", Status: StatusFailed, Reason: "configure: error: C compiler cannot create executables (log: out/bin/jq/linux-arm64/zig-dynamic/build.log)"}),
		lua(built(cell{"lua", "linux/amd64", "gcc", "12.2.0", "glibc", "static", 1120344, 900000, 20000, 5000, 0, 0, 470000})),
		lua(built(cell{"lua", "linux/amd64", "gcc", "12.2.0", "glibc", "dynamic", 254000, 210000, 6000, 500, ldX86 + libcX86 + libmX86, 3, 1310000})),
		lua(built(cell{"lua", "linux/arm64", "gcc", "12.2.0", "glibc", "static", 1050000, 850000, 19000, 5000, 0, 0, 440000})),
	)
	for i := range m.Rows {
		r := &m.Rows[i]
		switch r.Key() {
		case Key{"jq", "linux/arm64", "zig", "static"}:
			r.Smoke = Smoke{Status: SmokeSkipped, Reason: "no binfmt_misc handler for aarch64"}
		case Key{"lua", "linux/arm64", "gcc", "static"}:
			r.Smoke = Smoke{Status: SmokeFail, Output: "lua: cannot open /usr/share/lua\n", Reason: "exit status 1", Engine: "docker"}
		}
	}
	return m
}

// ninePlatforms is m with every linux/arm64 row repeated for the five
// platforms after the first four, and the toolchains' platform lists to
// match: the widest matrix fromscratch makes, a run's default.
func ninePlatforms(m *Matrix) *Matrix {
	out := &Matrix{SchemaVersion: m.SchemaVersion}
	for _, r := range m.Rows {
		out.Rows = append(out.Rows, r)
		if r.Platform != "linux/arm64" {
			continue
		}
		for _, p := range []string{"linux/386", "linux/arm/v6", "linux/ppc64le", "linux/s390x", "linux/mips64le"} {
			c := r
			c.Platform, c.Digest = p, digestOf(r.Recipe, p, r.Toolchain, r.Linkage)
			out.Rows = append(out.Rows, c)
		}
	}
	out.Sort()
	return out
}
