package publish

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/signature"
)

// Signing is what signs a release: the key, and who runs the build.
type Signing struct {
	// Key signs every pushed index and image (cosign's .sig tag), their
	// provenance (.att) and SHA256SUMS; nil signs nothing.
	Key *signature.Signer
	// Commit is the commit built, recorded in the provenance; empty when
	// unknown.
	Commit string
	// BuilderID and InvocationID name the workflow and its run in the
	// provenance (GitHub Actions); empty outside one.
	BuilderID, InvocationID string
}

// signSums writes dir/SHA256SUMS.sig: the base64 signature that
// `cosign verify-blob --key cosign.pub --signature SHA256SUMS.sig
// --insecure-ignore-tlog SHA256SUMS` checks. ECDSA signatures are
// randomised: this is the one file of a release that differs between two
// runs.
func signSums(key *signature.Signer, dir string) error {
	sums, err := os.ReadFile(filepath.Join(dir, release.SumsFile))
	if err != nil {
		return err
	}
	sig, err := key.Sign(sums)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, release.SumsSignatureFile), []byte(sig), 0o644)
}

// ProvenanceTitle is the file name of a provenance referrer's one layer.
const ProvenanceTitle = "provenance.dsse.json"

// target is one pushed manifest to sign: an index or one of its images.
type target struct {
	repo            string
	subject         image.Descriptor
	digest          string // subject's
	recipe, variant string
	platform        string   // empty for an index
	platforms       []string // the index's
}

// command is the command that builds t again: the recipe's cells of t's
// toolchain and linkage on t's platform, or on each of the index's.
func (t target) command() string {
	toolchain, linkage := toolchainOf(t.variant), strings.TrimPrefix(t.variant, toolchainOf(t.variant)+"-")
	platforms := t.platforms
	if t.platform != "" {
		platforms = []string{t.platform}
	}
	return "fromscratch build " + t.recipe + " --toolchain " + toolchain + " --linkage " + linkage + " --platform " + strings.Join(platforms, ",")
}

// sign attaches t's signature and its signed provenance: the signature
// in cosign's sha256-<hex>.sig tag (where cosign verify --key looks), the
// provenance both in the sha256-<hex>.att tag (cosign verify-attestation)
// and as an OCI referrer of artifactType DSSEMediaType. Each is left out
// when the registry has it already (signed by this key over the same
// bytes): ECDSA signatures differ on every run, and a second push sends
// nothing.
func (o Options) sign(ctx context.Context, t target) error {
	key := o.Signing.Key
	payload, err := signature.Payload(t.repo, t.digest)
	if err != nil {
		return err
	}
	have, err := o.Registry.Attached(ctx, t.repo, t.digest, image.SignatureSuffix)
	if err != nil {
		return err
	}
	if !signedBy(key.Public(), have, payload) {
		sig, err := key.Sign(payload)
		if err != nil {
			return err
		}
		l := image.AttachedLayer{MediaType: signature.SimpleSigningMediaType, Content: payload,
			Annotations: map[string]string{signature.SignatureAnnotation: sig}}
		if err := o.Registry.AttachLayer(ctx, t.repo, t.digest, image.SignatureSuffix, l); err != nil {
			return err
		}
	}
	prov, err := o.provenance(t)
	if err != nil {
		return err
	}
	var env []byte
	envelope := func() ([]byte, error) {
		if env == nil {
			env, err = key.Envelope(signature.InTotoPayloadType, prov)
		}
		return env, err
	}
	if have, err = o.Registry.Attached(ctx, t.repo, t.digest, image.AttestationSuffix); err != nil {
		return err
	}
	if !attestedBy(key.Public(), have, prov) {
		if _, err := envelope(); err != nil {
			return err
		}
		if err := o.Registry.AttachLayer(ctx, t.repo, t.digest, image.AttestationSuffix, image.AttachedLayer{
			MediaType: signature.DSSEMediaType, Content: env,
			Annotations: map[string]string{signature.SignatureAnnotation: "", signature.PredicateTypeAnnotation: release.ProvenanceType},
		}); err != nil {
			return err
		}
	}
	refs, err := o.Registry.Referrers(ctx, t.repo, t.digest, signature.DSSEMediaType)
	if err != nil {
		return err
	}
	for _, r := range refs {
		_, content, err := o.Registry.ArtifactContent(ctx, t.repo, r.Digest.String())
		if err != nil {
			return err
		}
		if attestedBy(key.Public(), []image.AttachedLayer{{MediaType: signature.DSSEMediaType, Content: content}}, prov) {
			return nil
		}
	}
	if _, err := envelope(); err != nil {
		return err
	}
	_, err = o.Registry.Attach(ctx, t.repo, t.subject, signature.DSSEMediaType, ProvenanceTitle, env)
	return err
}

// provenance is t's SLSA provenance statement.
func (o Options) provenance(t target) ([]byte, error) {
	key := t.recipe + " " + toolchainOf(t.variant)
	inputs, ok := o.inputs[key]
	if !ok {
		var err error
		if inputs, err = provenanceInputs(o.Engine.Root, t.recipe, toolchainOf(t.variant), o.Signing.Commit); err != nil {
			return nil, err
		}
		if o.inputs != nil {
			o.inputs[key] = inputs
		}
	}
	return release.NewProvenance(release.ProvenanceInput{
		SubjectName: t.repo, SubjectDigest: t.digest,
		Parameters: release.Parameters{Recipe: t.recipe, Variant: t.variant, Platform: t.platform, Command: t.command()},
		BuildDate:  o.Engine.BuildDate, Version: o.Version, Inputs: inputs,
		BuilderID: o.Signing.BuilderID, InvocationID: o.Signing.InvocationID,
	})
}

// signedBy reports whether a signature layer signs payload with v.
func signedBy(v signature.Verifier, layers []image.AttachedLayer, payload []byte) bool {
	for _, l := range layers {
		if l.MediaType == signature.SimpleSigningMediaType && bytes.Equal(l.Content, payload) &&
			v.Verify(payload, l.Annotations[signature.SignatureAnnotation]) == nil {
			return true
		}
	}
	return false
}

// attestedBy reports whether an attestation layer is statement, signed
// with v.
func attestedBy(v signature.Verifier, layers []image.AttachedLayer, statement []byte) bool {
	for _, l := range layers {
		if l.MediaType != signature.DSSEMediaType {
			continue
		}
		if typ, p, err := v.OpenEnvelope(l.Content); err == nil && typ == signature.InTotoPayloadType && bytes.Equal(p, statement) {
			return true
		}
	}
	return false
}

// signedNote is how the log says whether a push signed.
func (o Options) signedNote() string {
	if o.Signing.Key == nil {
		return "unsigned (FROMSCRATCH_SIGNING_KEY is not set)"
	}
	return "each signed, with its provenance"
}
