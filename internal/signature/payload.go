package signature

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Media types and annotations of cosign's signature and attestation
// images (the sha256-<hex>.sig and .att tags).
const (
	// SimpleSigningMediaType is the media type of a signature layer: the
	// simple-signing payload, its signature in SignatureAnnotation.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// DSSEMediaType is the media type of an attestation layer: a DSSE
	// envelope.
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
	// SignatureAnnotation holds a layer's base64 signature (empty on an
	// attestation layer, whose envelope carries it).
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// PredicateTypeAnnotation names an attestation layer's predicate type.
	PredicateTypeAnnotation = "predicateType"
	// InTotoPayloadType is the payloadType of an in-toto statement's
	// envelope.
	InTotoPayloadType = "application/vnd.in-toto+json"
	// simpleSigningType is the critical.type of cosign's payloads.
	simpleSigningType = "cosign container image signature"
)

// SimpleSigning is the payload cosign signs for an image: the repository
// it was pushed to and the manifest digest.
type SimpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// Payload is the simple-signing payload of repo@digest, as cosign writes
// it (the same bytes for the same image).
func Payload(repo, digest string) ([]byte, error) {
	var p SimpleSigning
	p.Critical.Identity.DockerReference = repo
	p.Critical.Image.DockerManifestDigest = digest
	p.Critical.Type = simpleSigningType
	return json.Marshal(p)
}

// ParsePayload reads a simple-signing payload and returns the digest it
// names.
func ParsePayload(data []byte) (digest string, err error) {
	var p SimpleSigning
	if err := json.Unmarshal(data, &p); err != nil {
		return "", fmt.Errorf("decoding the simple-signing payload: %w", err)
	}
	if p.Critical.Type != simpleSigningType {
		return "", fmt.Errorf("simple-signing payload of type %q, want %q", p.Critical.Type, simpleSigningType)
	}
	return p.Critical.Image.DockerManifestDigest, nil
}

// Envelope signs payload of payloadType into a DSSE envelope (JSON).
func (s *Signer) Envelope(payloadType string, payload []byte) ([]byte, error) {
	es, err := dsse.NewEnvelopeSigner(dsseKey{s: s, v: s.Public()})
	if err != nil {
		return nil, err
	}
	env, err := es.SignPayload(context.Background(), payloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("signing the DSSE envelope: %w", err)
	}
	return json.Marshal(env)
}

// OpenEnvelope checks a DSSE envelope's signature with v and returns its
// payload type and payload. An envelope that v did not sign is an error
// wrapping ErrBadSignature.
func (v Verifier) OpenEnvelope(data []byte) (payloadType string, payload []byte, err error) {
	var env dsse.Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return "", nil, fmt.Errorf("decoding the DSSE envelope: %w", err)
	}
	ev, err := dsse.NewEnvelopeVerifier(dsseKey{v: v})
	if err != nil {
		return "", nil, err
	}
	if _, err := ev.Verify(context.Background(), &env); err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	payload, err = env.DecodeB64Payload()
	if err != nil {
		return "", nil, fmt.Errorf("decoding the DSSE payload: %w", err)
	}
	return env.PayloadType, payload, nil
}
