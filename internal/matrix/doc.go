// Package matrix holds the size rows of a fromscratch run, renders them
// (JSON, CSV, Markdown, SVG, terminal tables), compares a run against a
// baseline (Diff) and fails a run whose images grew too much (Gate).
//
// A cell is one recipe built for one platform with one toolchain and one
// linkage; its key is (recipe, platform, toolchain, linkage).
//
// # matrix.json, schema_version 1
//
//	{
//	  "schema_version": 1,              // Load rejects any other value
//	  "rows": [{                        // sorted: recipe, platform, toolchain, linkage
//	    "recipe": "hello",
//	    "platform": "linux/amd64",      // linux/amd64, linux/arm64, linux/arm/v7, linux/riscv64
//	    "toolchain": "gcc",             // gcc, musl-gcc, zig
//	    "toolchain_version": "12.2.0",
//	    "libc": "glibc",                // glibc, musl, ...
//	    "linkage": "dynamic",           // static or dynamic
//	    "status": "built",              // built, not-applicable, unavailable or failed
//	    "reason": "",                   // why not-applicable, unavailable or failed
//	    "sizes": {                      // bytes, SI when rendered (1 kB = 1000 B)
//	      "binary": 15960,              // the program file
//	      "text": 1345, "data": 600, "bss": 8,  // ELF section sizes
//	      "libraries": 2326056,         // shared-library closure: interpreter + libs
//	      "library_count": 2,           // files in that closure
//	      "layers_uncompressed": 2345984, // sum of uncompressed layer tars
//	      "layers_compressed": 1003521,   // sum of gzip layer blobs
//	      "image_registry": 1004708,      // config + manifest + compressed layers
//	      "image_docker": 2342016         // sum of the files in the layers, as `docker images` reports
//	    },
//	    "digest": "sha256:…",           // image manifest digest
//	    "smoke": {
//	      "status": "pass",             // pass, fail, skipped, or "" when not run
//	      "output": "hello, world\n",
//	      "reason": "",                 // why it failed or was skipped
//	      "duration_ms": 412,           // 0 in a release's copy (out/release/matrix.json): timings vary
//	      "engine": "docker"            // docker, runc or ""
//	    },
//	    "reproducible": true,           // omitted when not checked
//	    "repro_note": "",
//	    "warnings": ["..."],            // compiler warning lines; omitted when none
//	    "runtime": "pinned Debian ...",  // where a dynamic image's loader and libraries come from; omitted when none
//	    "build": "autotools",           // a real program's build system (autotools, cmake, make); omitted for build = "files"
//	    "source": "Debian jq 1.6-2.1+deb12u2", // what a real program was built from; omitted for the recipe folder
//	    "depends": ["onig"],            // the library recipes it was built with; omitted when none
//	    "recipe_version": "0+src.1a2b3c4d5e6f" // the recipe's version, as its image gives it: a partial run drops rows of other versions
//	  }]
//	}
//
// The release (out/release/) ships the same matrix with every smoke
// duration_ms set to 0 and no warnings (Matrix.ForRelease), so that two
// releases of the same inputs give the same bytes: a run's durations and
// the order in which parallel compilers wrote their warnings into a build
// log differ from run to run. out/matrix.* keep both.
//
// Adding a field keeps version 1 (readers ignore fields they do not know);
// renaming a field or changing its meaning or type bumps SchemaVersion.
//
// The CSV has the same fields flattened, one line per row: the sizes drop
// their "sizes." prefix and the smoke fields get a "smoke_" prefix
// (smoke_status, smoke_duration_ms, ...); reproducible is true, false or
// empty; warnings are one per line within their field, depends are
// comma-separated.
//
// not-applicable means the recipe excludes the cell; unavailable means the
// toolchain was missing on the machine that ran the matrix.
package matrix
