// Package signature is cosign's key-pair signing without cosign: the
// encrypted private key cosign generate-key-pair writes (scrypt and NaCl
// secretbox, github.com/secure-systems-lab/go-securesystemslib/encrypted),
// ECDSA P-256 signatures over SHA-256, the simple-signing payload that
// names an image digest, and DSSE envelopes (go-securesystemslib/dsse) of
// in-toto statements. What it signs is what `cosign verify --key`,
// `cosign verify-attestation --key` and `cosign verify-blob --key` check.
package signature
