package release

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// In-toto and SLSA names of a provenance statement.
const (
	StatementType  = "https://in-toto.io/Statement/v1"
	ProvenanceType = "https://slsa.dev/provenance/v1"
	// BuildType names what the build definition's parameters mean: a
	// fromscratch recipe built into a scratch image (the README's
	// provenance section).
	BuildType = "https://fromscratch.invalid/provenance/build/v1"
	// LocalBuilder is the builder id of a push outside GitHub Actions.
	LocalBuilder = "https://fromscratch.invalid/builder/local"
)

// Statement is an in-toto statement v1 with a SLSA provenance v1
// predicate.
type Statement struct {
	Type          string     `json:"_type"`
	Subject       []Subject  `json:"subject"`
	PredicateType string     `json:"predicateType"`
	Predicate     Provenance `json:"predicate"`
}

// Subject is what a statement is about: an image or index by digest.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Provenance is SLSA provenance v1's predicate.
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition says what was built, from what, by which command.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   Parameters           `json:"externalParameters"`
	InternalParameters   map[string]string    `json:"internalParameters,omitempty"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies"`
}

// Parameters are the build's external parameters.
type Parameters struct {
	Recipe          string `json:"recipe"`
	Variant         string `json:"variant"`            // <toolchain>-<linkage>
	Platform        string `json:"platform,omitempty"` // an image's; empty for an index
	Command         string `json:"command"`            // the fromscratch command that builds it again
	SourceDateEpoch int64  `json:"sourceDateEpoch"`
}

// ResourceDescriptor is one input: a commit, a recipe's files, a pinned
// source file, a patch, a lock.
type ResourceDescriptor struct {
	Name   string            `json:"name,omitempty"`
	URI    string            `json:"uri,omitempty"`
	Digest map[string]string `json:"digest"`
}

// RunDetails says who built it.
type RunDetails struct {
	Builder  Builder      `json:"builder"`
	Metadata *RunMetadata `json:"metadata,omitempty"`
}

// Builder is the builder's identity (a workflow's, on GitHub).
type Builder struct {
	ID string `json:"id"`
}

// RunMetadata names the run.
type RunMetadata struct {
	InvocationID string `json:"invocationId"`
}

// ProvenanceInput is what a provenance statement records.
type ProvenanceInput struct {
	SubjectName   string // registry/repository
	SubjectDigest string // sha256:<hex>
	Parameters    Parameters
	BuildDate     time.Time
	Version       string // fromscratch's
	Inputs        []ResourceDescriptor
	BuilderID     string // empty: LocalBuilder
	InvocationID  string // empty: none
}

// NewProvenance is the statement of in, as JSON: the same input gives the
// same bytes (the inputs are sorted by name and URI).
func NewProvenance(in ProvenanceInput) ([]byte, error) {
	algo, hex, ok := strings.Cut(in.SubjectDigest, ":")
	if !ok || algo != "sha256" || !isHexSHA256(hex) {
		return nil, fmt.Errorf("provenance of %s: subject digest %q: want sha256:<64 hex digits>", in.SubjectName, in.SubjectDigest)
	}
	p := in.Parameters
	p.SourceDateEpoch = in.BuildDate.Unix()
	deps := slices.Clone(in.Inputs)
	SortInputs(deps)
	st := Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: in.SubjectName, Digest: map[string]string{"sha256": hex}}},
		PredicateType: ProvenanceType,
		Predicate: Provenance{
			BuildDefinition: BuildDefinition{
				BuildType:            BuildType,
				ExternalParameters:   p,
				InternalParameters:   map[string]string{"fromscratchVersion": in.Version},
				ResolvedDependencies: deps,
			},
			RunDetails: RunDetails{Builder: Builder{ID: in.BuilderID}},
		},
	}
	if st.Predicate.RunDetails.Builder.ID == "" {
		st.Predicate.RunDetails.Builder.ID = LocalBuilder
	}
	if in.InvocationID != "" {
		st.Predicate.RunDetails.Metadata = &RunMetadata{InvocationID: in.InvocationID}
	}
	return json.Marshal(st)
}

// SortInputs sorts inputs by name, then URI.
func SortInputs(inputs []ResourceDescriptor) {
	slices.SortFunc(inputs, func(a, b ResourceDescriptor) int {
		return strings.Compare(a.Name+"\x00"+a.URI, b.Name+"\x00"+b.URI)
	})
}

// ParseStatement reads a provenance statement, refusing another type of
// statement or predicate.
func ParseStatement(data []byte) (*Statement, error) {
	var st Statement
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decoding the provenance statement: %w", err)
	}
	if st.Type != StatementType || st.PredicateType != ProvenanceType {
		return nil, fmt.Errorf("statement %q of predicate %q, want %q of %q", st.Type, st.PredicateType, StatementType, ProvenanceType)
	}
	return &st, nil
}

// Names reports whether the statement's subject is digest (sha256:<hex>).
func (st *Statement) Names(digest string) bool {
	for _, s := range st.Subject {
		if "sha256:"+s.Digest["sha256"] == digest {
			return true
		}
	}
	return false
}

// SubjectDigests are the digests the statement's subject names
// (sha256:<hex>), comma-separated.
func (st *Statement) SubjectDigests() string {
	var ds []string
	for _, s := range st.Subject {
		ds = append(ds, "sha256:"+s.Digest["sha256"])
	}
	return strings.Join(ds, ", ")
}

// SourceInputs are the resource descriptors of a project recipe's pinned
// files and patches (dir is the recipe folder relative to the
// repository: recipes/jq).
func SourceInputs(s Source, dir string) []ResourceDescriptor {
	var out []ResourceDescriptor
	for _, f := range s.Files {
		uri := s.URL
		if s.Debian != "" {
			uri = debPURL(Origin{Package: s.Debian, Version: s.DebianVersion, Arch: "source"}, s.Distro)
		}
		out = append(out, ResourceDescriptor{Name: f.Name, URI: uri, Digest: map[string]string{"sha256": f.SHA256}})
	}
	for _, p := range s.Patches {
		out = append(out, ResourceDescriptor{Name: dir + "/" + p.Name, Digest: map[string]string{"sha256": p.SHA256}})
	}
	return out
}
