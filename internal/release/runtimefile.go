package release

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// RuntimeFile is a file of the image besides the program and its
// closure: one of a project recipe's runtime_files (curl's CA bundle),
// with the Debian binary package it was taken from when the recipe says
// (install_files).
type RuntimeFile struct {
	FileRef
	// Debian is the package the file comes from; nil when the recipe
	// names none (its build installed the file, or the recipe folder
	// holds it without saying where from).
	Debian *DebianFile
}

// DebianFile is the Debian binary package a runtime file comes from, as
// its recipe declares it.
type DebianFile struct {
	Package string // "ca-certificates"
	Version string // "20250419~deb12u2"
	Arch    string // "all": install_files are the same on every platform
	// License is the package's, read from the copyright file the recipe
	// vendors; zero: NOASSERTION.
	License License
	// Recipe is the recipe that declares it ("curl").
	Recipe string
}

// runtimeFiles adds the image's runtime files (after the binary, in
// image-path order) and, for one a recipe says comes from a Debian
// package, that package: the image CONTAINS it, the distribution CONTAINS
// it, and the file is GENERATED_FROM it (the file may be a package's file
// as it is, or made from its files, as curl's CA bundle is made from
// ca-certificates' certificates). add adds one file and returns its id.
func (b *sbomBuilder) runtimeFiles(files []RuntimeFile, add func(FileRef, string, string) common.ElementID) {
	fs := append([]RuntimeFile(nil), files...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].ImagePath < fs[j].ImagePath })
	for _, f := range fs {
		if f.Debian == nil {
			add(f.FileRef, "OTHER", "a runtime file of the recipe (runtime_files), installed by its build or copied from its folder")
			continue
		}
		d := f.Debian
		id := add(f.FileRef, "OTHER", fmt.Sprintf("copied into the image from recipes/%s (install_files), which declares it comes from Debian package %s %s", d.Recipe, d.Package, d.Version))
		b.rel(id, relGeneratedFrom, b.debDataPackage(*d, f.ImagePath))
	}
}

// debDataPackage returns the id of the Debian package a runtime file
// comes from, adding it (and the distribution) on first use. Unlike the
// packages of the closure's libraries it is not looked up on the machine
// or in a lock: its name, version and licence are the recipe's
// declaration. It has a deb purl (arch=all) and purpose OTHER (data, not
// a library the program links).
func (b *sbomBuilder) debDataPackage(d DebianFile, imagePath string) common.ElementID {
	o := Origin{Package: d.Package, Version: d.Version, Arch: d.Arch}
	if id, ok := b.debs[o]; ok {
		return id
	}
	b.distribution()
	id := b.ids.next("Package-deb-", d.Package+"-"+d.Arch)
	b.debs[o] = id
	p := newPackage(id, d.Package, d.Version, "OTHER")
	p.PackageExternalReferences = []*spdx.PackageExternalReference{purlRef(debPURL(o, b.distro))}
	p.PackageComment = fmt.Sprintf("the Debian package (Architecture: %s) recipe %s's install_files declare as the origin of %s; "+
		"its name, version and copyright file are the recipe's declaration, not read from a package database", d.Arch, d.Recipe, imagePath)
	setLicense(p, d.License)
	b.add(p)
	b.rel(b.os, relContains, id)
	return id
}

// validate checks one runtime file besides its FileRef (which SBOMInput's
// validation checks with the others); what names it in errors.
func (f RuntimeFile) validate(what string) []error {
	d := f.Debian
	if d == nil {
		return nil
	}
	var errs []error
	if !validDpkgName(d.Package) || strings.Contains(d.Package, ":") || d.Version == "" {
		errs = append(errs, fmt.Errorf("%s: Debian %q %q is not a binary package name and version", what, d.Package, d.Version))
	}
	if !distroField.MatchString(d.Arch) {
		errs = append(errs, fmt.Errorf("%s: Debian.Arch %q: want a Debian architecture such as all", what, d.Arch))
	}
	if d.Recipe == "" {
		errs = append(errs, fmt.Errorf("%s: Debian.Recipe is empty: name the recipe that declares the package", what))
	}
	return errs
}
