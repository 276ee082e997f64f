package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/signature"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// VerifyOptions are what verify checks a pushed image or index with.
type VerifyOptions struct {
	Registry image.Registry
	Key      signature.Verifier
	// Source is a checkout whose inputs the provenance must name (its
	// commit, recipes, pins, patches, toolchain file and locks); empty
	// checks no inputs.
	Source string
	Log    io.Writer
}

// ErrVerify is wrapped by Verify's error when a check failed (rather than
// the registry being unreachable).
var ErrVerify = errors.New("verification failed")

// Verify checks the image or index ref as release:push left it: for an
// index and each of its images, that the manifest's bytes match its
// digest, that it carries a signature by the key over a simple-signing
// payload naming its digest (cosign's sha256-<hex>.sig tag), and a SLSA
// provenance signed by the key whose subject is its digest, both in the
// .att tag and as an OCI referrer (with Source, whose inputs are that
// checkout's); for each image, that an
// SBOM referrer exists and describes it. It prints each check and returns
// every failure, naming it.
func Verify(ctx context.Context, o VerifyOptions, ref string) error {
	res, err := o.Registry.Resolve(ctx, ref)
	if err != nil {
		if errors.Is(err, image.ErrCorrupt) {
			return fmt.Errorf("%w: %s: manifest: %w", ErrVerify, ref, err)
		}
		return err
	}
	var fails []string
	check := func(what string, err error) {
		if err != nil {
			fails = append(fails, fmt.Sprintf("%s: %v", what, err))
			fmt.Fprintf(o.Log, "FAIL %s: %v\n", what, err)
			return
		}
		fmt.Fprintf(o.Log, "ok   %s\n", what)
	}
	d := res.Descriptor.Digest.String()
	check(d+" signature", o.signature(ctx, res.Repo, d))
	check(d+" provenance", o.provenance(ctx, res.Repo, d))
	if !res.IsIndex() {
		check(d+" SBOM", o.sbom(ctx, res.Repo, d))
	}
	for _, m := range res.Manifests {
		name := m.Digest.String()
		if m.Platform != nil {
			name = m.Platform.String() + " " + name
		}
		if err := o.Registry.Check(ctx, res.Repo, m); err != nil {
			check(name+" manifest", err)
			continue
		}
		check(name+" signature", o.signature(ctx, res.Repo, m.Digest.String()))
		check(name+" provenance", o.provenance(ctx, res.Repo, m.Digest.String()))
		check(name+" SBOM", o.sbom(ctx, res.Repo, m.Digest.String()))
	}
	if len(fails) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrVerify, ref, strings.Join(fails, "; "))
	}
	fmt.Fprintf(o.Log, "verify: %s@%s: signatures, provenance and SBOMs check out\n", res.Repo, d)
	return nil
}

// signature checks that repo@digest has a signature layer signed by the
// key whose payload names digest.
func (o VerifyOptions) signature(ctx context.Context, repo, digest string) error {
	layers, err := o.Registry.Attached(ctx, repo, digest, image.SignatureSuffix)
	if err != nil {
		return err
	}
	if len(layers) == 0 {
		return fmt.Errorf("no signature (no tag %s)", must(image.CosignTag(digest, image.SignatureSuffix)))
	}
	var why []string
	for _, l := range layers {
		sig, ok := l.Annotations[signature.SignatureAnnotation]
		if l.MediaType != signature.SimpleSigningMediaType || !ok {
			continue
		}
		if err := o.Key.Verify(l.Content, sig); err != nil {
			why = append(why, err.Error()+" with this key")
			continue
		}
		named, err := signature.ParsePayload(l.Content)
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		if named != digest {
			why = append(why, "a signed payload names "+named)
			continue
		}
		return nil
	}
	return fmt.Errorf("none of %d signatures is this key's over %s (%s)", len(layers), digest, strings.Join(slices.Compact(why), "; "))
}

// provenance checks that repo@digest has, in both places release:push
// puts it (cosign's sha256-<hex>.att tag and an OCI referrer), a
// provenance statement signed by the key whose subject is digest (and,
// with Source, whose inputs are the checkout's).
func (o VerifyOptions) provenance(ctx context.Context, repo, digest string) error {
	layers, err := o.Registry.Attached(ctx, repo, digest, image.AttestationSuffix)
	if err != nil {
		return err
	}
	var envs [][]byte
	for _, l := range layers {
		if l.MediaType == signature.DSSEMediaType {
			envs = append(envs, l.Content)
		}
	}
	errs := []error{o.provenanceIn("in tag "+must(image.CosignTag(digest, image.AttestationSuffix)), envs, digest)}
	refs, err := o.Registry.Referrers(ctx, repo, digest, signature.DSSEMediaType)
	if err != nil {
		return err
	}
	envs = nil
	for _, r := range refs {
		_, content, err := o.Registry.ArtifactContent(ctx, repo, r.Digest.String())
		if err != nil {
			errs = append(errs, fmt.Errorf("referrer %s: %w", r.Digest, err))
			continue
		}
		envs = append(envs, content)
	}
	errs = append(errs, o.provenanceIn("as a referrer (artifactType "+signature.DSSEMediaType+")", envs, digest))
	var msgs []string
	for _, err := range errs {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

// provenanceIn checks that one of the DSSE envelopes found where says
// what provenance wants.
func (o VerifyOptions) provenanceIn(where string, envs [][]byte, digest string) error {
	if len(envs) == 0 {
		return fmt.Errorf("no provenance %s", where)
	}
	var why []string
	for _, env := range envs {
		typ, payload, err := o.Key.OpenEnvelope(env)
		if err != nil {
			why = append(why, err.Error()+" with this key")
			continue
		}
		if typ != signature.InTotoPayloadType {
			why = append(why, "an envelope of payload type "+typ)
			continue
		}
		st, err := release.ParseStatement(payload)
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		if !st.Names(digest) {
			why = append(why, fmt.Sprintf("a provenance of subject %s, not %s", st.SubjectDigests(), digest))
			continue
		}
		if err := o.sameInputs(st); err != nil {
			why = append(why, err.Error())
			continue
		}
		return nil
	}
	return fmt.Errorf("no provenance of %s signed by this key %s (%s)", digest, where, strings.Join(slices.Compact(why), "; "))
}

// sameInputs compares a provenance's inputs with those of o.Source.
func (o VerifyOptions) sameInputs(st *release.Statement) error {
	if o.Source == "" {
		return nil
	}
	p := st.Predicate.BuildDefinition.ExternalParameters
	want, err := provenanceInputs(o.Source, p.Recipe, toolchainOf(p.Variant), workspace.Revision(o.Source))
	if err != nil {
		return err
	}
	got := st.Predicate.BuildDefinition.ResolvedDependencies
	key := func(r release.ResourceDescriptor) string { return fmt.Sprint(r.Name, " ", r.URI, " ", r.Digest) }
	var diff []string
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g release.ResourceDescriptor) bool { return key(g) == key(w) }) {
			diff = append(diff, "the checkout has "+key(w))
		}
	}
	for _, g := range got {
		if !slices.ContainsFunc(want, func(w release.ResourceDescriptor) bool { return key(g) == key(w) }) {
			diff = append(diff, "the provenance has "+key(g))
		}
	}
	if len(diff) > 0 {
		return fmt.Errorf("inputs differ from %s: %s", o.Source, strings.Join(diff, ", "))
	}
	return nil
}

// sbom checks that repo@digest has an SBOM referrer that describes it.
func (o VerifyOptions) sbom(ctx context.Context, repo, digest string) error {
	refs, err := o.Registry.Referrers(ctx, repo, digest, SBOMArtifactType)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		return fmt.Errorf("no SBOM referrer (artifactType %s)", SBOMArtifactType)
	}
	var errs []error
	for _, r := range refs {
		_, doc, err := o.Registry.ArtifactContent(ctx, repo, r.Digest.String())
		if err == nil {
			err = release.CheckSBOM(doc, digest)
		}
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("referrer %s: %w", r.Digest, err))
	}
	return errors.Join(errs...)
}

// must is s, for tags that were made from a digest already checked.
func must(s string, _ error) string { return s }
