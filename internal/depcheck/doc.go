// Package depcheck holds fromscratch's import rules as a test, after
// go-containerregistry's internal/depcheck: the layering of the packages is
// checked on every test run, and a broken rule names the file and import.
package depcheck
