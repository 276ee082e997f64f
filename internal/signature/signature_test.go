package signature

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// pairs are two key pairs in cosign's file formats, made once: scrypt
// makes each key file take a fraction of a second to write and to read.
var pairs = sync.OnceValue(func() (p [2][2][]byte) {
	for i := range p {
		priv, pub, err := GenerateKeyPair([]byte("pw"))
		if err != nil {
			panic(err)
		}
		p[i] = [2][]byte{priv, pub}
	}
	return p
})

var parsed sync.Map // int -> parsedPair

type parsedPair struct {
	s *Signer
	v Verifier
}

// keyPair reads key pair i (0 or 1) back from its files (once).
func keyPair(t *testing.T, i int) (*Signer, Verifier) {
	t.Helper()
	if p, ok := parsed.Load(i); ok {
		return p.(parsedPair).s, p.(parsedPair).v
	}
	priv, pub := pairs()[i][0], pairs()[i][1]
	s, err := ParsePrivateKey("cosign.key", priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParsePublicKey("cosign.pub", pub)
	if err != nil {
		t.Fatal(err)
	}
	parsed.Store(i, parsedPair{s, v})
	return s, v
}

// A signature verifies with its own public key, not with another, and
// not over changed data; the key files are refused with a wrong password
// or the wrong PEM block, naming the file.
func TestSignVerify(t *testing.T) {
	s, v := keyPair(t, 0)
	_, other := keyPair(t, 1)
	data := []byte("e3b0c442  SHA256SUMS\n")
	sig, err := s.Sign(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(data, sig); err != nil {
		t.Errorf("own key: %v", err)
	}
	if err := other.Verify(data, sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other key: %v, want ErrBadSignature", err)
	}
	if err := v.Verify(append([]byte{'x'}, data[1:]...), sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("changed data: %v, want ErrBadSignature", err)
	}
	priv, pub := pairs()[0][0], pairs()[0][1]
	if _, err := ParsePrivateKey("k.key", priv, []byte("wrong")); err == nil || !strings.Contains(err.Error(), "COSIGN_PASSWORD") {
		t.Errorf("wrong password: %v, want COSIGN_PASSWORD named", err)
	}
	if _, err := ParsePrivateKey("k.pub", pub, []byte("pw")); err == nil || !strings.Contains(err.Error(), "k.pub") {
		t.Errorf("a public key as the private one: %v, want the file named", err)
	}
	if _, err := ParsePublicKey("k.key", priv); err == nil || !strings.Contains(err.Error(), "k.key") {
		t.Errorf("a private key as the public one: %v, want the file named", err)
	}
}

// A DSSE envelope opens with the signer's key and gives back the payload;
// with another key, or with its payload swapped, it does not.
func TestEnvelope(t *testing.T) {
	s, v := keyPair(t, 0)
	_, other := keyPair(t, 1)
	env, err := s.Envelope(InTotoPayloadType, []byte(`{"_type":"https://in-toto.io/Statement/v1"}`))
	if err != nil {
		t.Fatal(err)
	}
	typ, payload, err := v.OpenEnvelope(env)
	if err != nil || typ != InTotoPayloadType || string(payload) != `{"_type":"https://in-toto.io/Statement/v1"}` {
		t.Errorf("OpenEnvelope = %q, %q, %v", typ, payload, err)
	}
	if _, _, err := other.OpenEnvelope(env); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other key: %v, want ErrBadSignature", err)
	}
	swapped := strings.Replace(string(env), `"payload":"`, `"payload":"e30`, 1)
	if _, _, err := v.OpenEnvelope([]byte(swapped)); err == nil {
		t.Error("an envelope with a changed payload opened")
	}
}

// The simple-signing payload names the digest and reads back.
func TestPayload(t *testing.T) {
	p, err := Payload("127.0.0.1:5000/fromscratch/hello", "sha256:"+strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/fromscratch/hello"},"image":{"docker-manifest-digest":"sha256:` + strings.Repeat("ab", 32) + `"},"type":"cosign container image signature"},"optional":null}`
	if string(p) != want {
		t.Errorf("Payload =\n%s\nwant\n%s", p, want)
	}
	if d, err := ParsePayload(p); err != nil || d != "sha256:"+strings.Repeat("ab", 32) {
		t.Errorf("ParsePayload = %q, %v", d, err)
	}
	if _, err := ParsePayload([]byte(`{"critical":{"type":"other"}}`)); err == nil {
		t.Error("a payload of another type was read")
	}
}
