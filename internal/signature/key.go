package signature

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// PEM block types of cosign's key files: cosign 2 writes the SIGSTORE
// one; keys of cosign 1 carry the COSIGN one.
const (
	privateKeyType       = "ENCRYPTED SIGSTORE PRIVATE KEY"
	legacyPrivateKeyType = "ENCRYPTED COSIGN PRIVATE KEY"
	publicKeyType        = "PUBLIC KEY"
)

// ErrBadSignature is wrapped by every error that says a signature does not
// verify with the key (rather than that it could not be read).
var ErrBadSignature = errors.New("signature does not verify")

// Signer signs with an ECDSA P-256 private key.
type Signer struct {
	key *ecdsa.PrivateKey
}

// Verifier checks signatures with an ECDSA P-256 public key.
type Verifier struct {
	key *ecdsa.PublicKey
}

// ParsePrivateKey reads a private key file as cosign generate-key-pair
// writes it (cosign.key: a PEM block holding the PKCS #8 key encrypted
// with password), naming file in its errors.
func ParsePrivateKey(file string, data, password []byte) (*Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil || (block.Type != privateKeyType && block.Type != legacyPrivateKeyType) {
		return nil, fmt.Errorf("reading signing key %s: want a PEM block %q, as cosign generate-key-pair writes", file, privateKeyType)
	}
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		return nil, fmt.Errorf("decrypting signing key %s (is COSIGN_PASSWORD its password?): %w", file, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parsing signing key %s: %w", file, err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("signing key %s is a %T: want an ECDSA P-256 key", file, k)
	}
	return &Signer{key: ec}, nil
}

// ParsePublicKey reads a public key file (cosign.pub: a PEM "PUBLIC KEY"
// block), naming file in its errors.
func ParsePublicKey(file string, data []byte) (Verifier, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != publicKeyType {
		return Verifier{}, fmt.Errorf("reading public key %s: want a PEM block %q, as cosign generate-key-pair writes in cosign.pub", file, publicKeyType)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return Verifier{}, fmt.Errorf("parsing public key %s: %w", file, err)
	}
	ec, ok := k.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return Verifier{}, fmt.Errorf("public key %s is a %T: want an ECDSA P-256 key", file, k)
	}
	return Verifier{key: ec}, nil
}

// GenerateKeyPair makes a key pair in cosign's files: the encrypted
// private key (cosign.key) and the public key (cosign.pub).
func GenerateKeyPair(password []byte) (privatePEM, publicPEM []byte, err error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, err
	}
	box, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, nil, fmt.Errorf("encrypting the private key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: privateKeyType, Bytes: box}),
		pem.EncodeToMemory(&pem.Block{Type: publicKeyType, Bytes: pub}), nil
}

// Public is the verifier of s's signatures.
func (s *Signer) Public() Verifier { return Verifier{key: &s.key.PublicKey} }

// Sign signs data: the ASN.1 ECDSA signature of its SHA-256, base64
// encoded, as cosign sign-blob prints it. ECDSA signatures are
// randomised: two signatures of the same data differ, and both verify.
func (s *Signer) Sign(data []byte) (string, error) {
	sig, err := s.sign(data)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

func (s *Signer) sign(data []byte) ([]byte, error) {
	h := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, h[:])
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return sig, nil
}

// Verify checks sig (base64, as Sign returns it) over data.
func (v Verifier) Verify(data []byte, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: not base64: %v", ErrBadSignature, err)
	}
	return v.verify(data, raw)
}

func (v Verifier) verify(data, sig []byte) error {
	h := sha256.Sum256(data)
	if !ecdsa.VerifyASN1(v.key, h[:], sig) {
		return ErrBadSignature
	}
	return nil
}

// dsseKey adapts a Signer or Verifier to go-securesystemslib's dsse.
type dsseKey struct {
	s *Signer
	v Verifier
}

func (k dsseKey) Sign(_ context.Context, data []byte) ([]byte, error) { return k.s.sign(data) }
func (k dsseKey) Verify(_ context.Context, data, sig []byte) error    { return k.v.verify(data, sig) }
func (k dsseKey) KeyID() (string, error)                              { return "", nil }
func (k dsseKey) Public() crypto.PublicKey                            { return k.v.key }
