package release

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type mapResolver map[string]Origin

func (m mapResolver) Origin(hostPath string) (Origin, bool) {
	o, ok := m[hostPath]
	return o, ok
}

func sum(c byte) string { return strings.Repeat(string(c), 64) }

// sbomFixture is a dynamic amd64 C++ image: three files from libc6, one
// from libstdc++6 (a '+' in name and version), one library of unknown
// origin. Libraries are deliberately unsorted.
func sbomFixture() (SBOMInput, Resolver) {
	in := SBOMInput{
		Name:        "hello-cpp-gcc-dynamic-linux-amd64",
		Namespace:   "https://fromscratch.invalid/spdx/hello-cpp-gcc-dynamic-linux-amd64-sha256:" + sum('d'),
		Created:     time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600)),
		ImageDigest: "sha256:" + sum('d'),
		Binary:      FileRef{ImagePath: "/hello-cpp", HostPath: "/build/out/hello-cpp", SHA256: sum('0'), Size: 16000},
		Libraries: []FileRef{
			{ImagePath: "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", HostPath: "/host/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", SHA256: sum('4'), Size: 2},
			{ImagePath: "/lib/x86_64-linux-gnu/libc.so.6", HostPath: "/host/usr/lib/x86_64-linux-gnu/libc.so.6", SHA256: sum('1'), Size: 1},
			{ImagePath: "/opt/vendor/lib/libvendor.so.1", HostPath: "/host/opt/vendor/libvendor.so.1", SHA256: sum('5'), Size: 5},
			{ImagePath: "/lib64/ld-linux-x86-64.so.2", HostPath: "/host/lib64/ld-linux-x86-64.so.2", SHA256: sum('2'), Size: 3},
			{ImagePath: "/lib/x86_64-linux-gnu/libm.so.6", HostPath: "/host/lib/x86_64-linux-gnu/libm.so.6", SHA256: sum('3'), Size: 4},
		},
		Recipe:           "hello-cpp",
		Toolchain:        "gcc",
		ToolchainVersion: "12.2.0",
	}
	libc := Origin{"libc6", "2.36-9+deb12u14", "amd64"}
	res := mapResolver{
		"/host/usr/lib/x86_64-linux-gnu/libc.so.6":           libc,
		"/host/lib64/ld-linux-x86-64.so.2":                   libc,
		"/host/lib/x86_64-linux-gnu/libm.so.6":               libc,
		"/host/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30": {"libstdc++6", "12.2.0-14", "amd64"},
	}
	return in, res
}

func TestSBOM(t *testing.T) {
	in, res := sbomFixture()
	got, err := SBOM(in, res)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, got)

	t.Run("is reproducible", func(t *testing.T) {
		// Same input, libraries in another order.
		in2, res2 := sbomFixture()
		for i, j := 0, len(in2.Libraries)-1; i < j; i, j = i+1, j-1 {
			in2.Libraries[i], in2.Libraries[j] = in2.Libraries[j], in2.Libraries[i]
		}
		again, err := SBOM(in2, res2)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(got) {
			t.Error("second SBOM differs from the first")
		}
	})
	t.Run("valid JSON ending in a newline", func(t *testing.T) {
		if !json.Valid(got) || !strings.HasSuffix(string(got), "}\n") {
			t.Error("not a JSON document with a trailing newline")
		}
	})
	t.Run("no host paths", func(t *testing.T) {
		for _, f := range append([]FileRef{in.Binary}, in.Libraries...) {
			if strings.Contains(string(got), f.HostPath) {
				t.Errorf("output contains host path %s", f.HostPath)
			}
		}
		if strings.Contains(string(got), "/host/") || strings.Contains(string(got), "/build/") {
			t.Error("output contains a host directory")
		}
	})
	t.Run("structure", func(t *testing.T) {
		doc := decode(t, got)
		if doc.CreationInfo.Created != "2024-05-01T10:00:00Z" {
			t.Errorf("created = %s, want the build date in UTC", doc.CreationInfo.Created)
		}
		pkgs := map[string]spdxPackage{}
		for _, p := range doc.Packages {
			pkgs[p.SPDXID] = p
		}
		if len(pkgs) != 5 || len(doc.Files) != 6 {
			t.Fatalf("%d packages, %d files; want 5 (image, program, libc6, libstdc++6, unknown) and 6", len(pkgs), len(doc.Files))
		}
		libc := pkgs["SPDXRef-Package-deb-libc6-amd64"]
		if libc.ExternalRefs[0].ReferenceLocator != "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64" {
			t.Errorf("libc6 purl = %+v", libc.ExternalRefs)
		}
		unknown := pkgs["SPDXRef-Package-unknown-opt-vendor-lib-libvendor.so.1"]
		if unknown.VersionInfo != noAssertion || !strings.Contains(unknown.Comment, "origin unknown") {
			t.Errorf("unknown-origin package = %+v", unknown)
		}
		contains := map[string]int{}
		for _, r := range doc.Relationships {
			if r.RelationshipType == "CONTAINS" {
				contains[r.SPDXElementID]++
			}
		}
		want := map[string]int{
			"SPDXRef-Image": 4, "SPDXRef-Program": 1, "SPDXRef-Package-deb-libc6-amd64": 3,
			"SPDXRef-Package-deb-libstdc--6-amd64": 1, "SPDXRef-Package-unknown-opt-vendor-lib-libvendor.so.1": 1,
		}
		for id, n := range want {
			if contains[id] != n {
				t.Errorf("%s CONTAINS %d elements, want %d", id, contains[id], n)
			}
		}
	})
}

func TestSBOMWithoutResolver(t *testing.T) {
	in, _ := sbomFixture()
	got, err := SBOM(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, got)
	unknown := 0
	for _, p := range doc.Packages {
		if strings.HasPrefix(p.SPDXID, "SPDXRef-Package-unknown-") {
			unknown++
		}
		if len(p.ExternalRefs) > 0 {
			t.Errorf("package %s has a purl without a resolver", p.SPDXID)
		}
	}
	if unknown != len(in.Libraries) {
		t.Errorf("%d unknown-origin packages, want %d", unknown, len(in.Libraries))
	}
}

func TestSBOMRejectsBadInput(t *testing.T) {
	for name, mutate := range map[string]func(*SBOMInput){
		"no build date":   func(in *SBOMInput) { in.Created = time.Time{} },
		"namespace":       func(in *SBOMInput) { in.Namespace = "hello#1" },
		"no recipe":       func(in *SBOMInput) { in.Recipe = "" },
		"digest prefix":   func(in *SBOMInput) { in.Libraries[0].SHA256 = "sha256:" + sum('1') },
		"duplicate path":  func(in *SBOMInput) { in.Libraries[1].ImagePath = in.Libraries[0].ImagePath },
		"no binary path":  func(in *SBOMInput) { in.Binary.ImagePath = "" },
		"no image digest": func(in *SBOMInput) { in.ImageDigest = "" },
	} {
		t.Run(name, func(t *testing.T) {
			in, res := sbomFixture()
			mutate(&in)
			if _, err := SBOM(in, res); err == nil || !strings.HasPrefix(err.Error(), "building SBOM") {
				t.Errorf("error = %v, want a validation error", err)
			}
		})
	}
}

func TestIDAllocator(t *testing.T) {
	ids := idAllocator{}
	for _, tc := range []struct{ prefix, key, want string }{
		{"File-", "/lib/x86_64-linux-gnu/libc.so.6", "SPDXRef-File-lib-x86-64-linux-gnu-libc.so.6"}, // SPDX ids allow no "_",
		{"File-", "/lib/a+b", "SPDXRef-File-lib-a-b"},
		{"File-", "/lib/a-b", "SPDXRef-File-lib-a-b-2"}, // collides after replacement
		{"File-", "/lib/a_b", "SPDXRef-File-lib-a-b-3"},
		{"File-", "/", "SPDXRef-File--"},
	} {
		if got := ids.next(tc.prefix, tc.key); got != tc.want {
			t.Errorf("next(%q, %q) = %s, want %s", tc.prefix, tc.key, got, tc.want)
		}
	}
}

func TestDebPURL(t *testing.T) {
	for o, want := range map[Origin]string{
		{"libc6", "2.36-9+deb12u14", "amd64"}:     "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64",
		{"libstdc++6", "12.2.0-14", "arm64"}:      "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=arm64",
		{"zlib1g", "1:1.2.13.dfsg-1", "amd64"}:    "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64",
		{"libc6-arm64-cross", "2.36-8cross1", ""}: "pkg:deb/debian/libc6-arm64-cross@2.36-8cross1",
		{"libc6", "", "amd64"}:                    "pkg:deb/debian/libc6?arch=amd64",
	} {
		if got := debPURL(o); got != want {
			t.Errorf("debPURL(%+v) = %s, want %s", o, got, want)
		}
	}
}

func decode(t *testing.T, data []byte) spdxDocument {
	t.Helper()
	var doc spdxDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
