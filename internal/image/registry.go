package image

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Registry talks to OCI registries (go-containerregistry's remote). The
// zero Registry is ready to use. Credentials come from the Docker config
// (authn.DefaultKeychain: what `docker login` and credential helpers
// store). Registries on loopback and private addresses are spoken to over
// plain HTTP, everything else over HTTPS.
type Registry struct {
	// Transport carries every request; nil is http.DefaultTransport.
	// Tests count the bytes sent or cut a push off with it.
	Transport http.RoundTripper
}

// Descriptor describes a manifest or blob (go-containerregistry's
// v1.Descriptor); the alias lets callers hold one without importing
// go-containerregistry.
type Descriptor = v1.Descriptor

// ErrUnauthorized is wrapped by errors for a registry that answered 401
// or 403: the caller has to log in (or log in as someone else).
var ErrUnauthorized = errors.New("not authorized")

// ErrUnreachable is wrapped by errors for a registry that could not be
// reached at all (no connection, no such host).
var ErrUnreachable = errors.New("registry unreachable")

func (r Registry) transport() http.RoundTripper {
	if r.Transport != nil {
		return r.Transport
	}
	return http.DefaultTransport
}

// options are the remote options of every call.
func (r Registry) options(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(r.transport()),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithUserAgent("fromscratch"),
	}
}

// explain turns a registry error into one that names the registry and says
// what to do: log in after a 401, check the address when nothing answers.
func explain(reg string, err error) error {
	if err == nil {
		return nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("%w: registry %s answered 401 Unauthorized: log in with `docker login %s` (credentials are read from the Docker config): %w",
				ErrUnauthorized, reg, reg, err)
		case http.StatusForbidden:
			return fmt.Errorf("%w: registry %s answered 403 Forbidden: the account of `docker login %s` may not do this: %w",
				ErrUnauthorized, reg, reg, err)
		}
	}
	var nerr net.Error
	var operr *net.OpError
	var dnserr *net.DNSError
	if errors.As(err, &operr) || errors.As(err, &dnserr) || (errors.As(err, &nerr) && nerr.Timeout()) {
		return fmt.Errorf("%w: cannot reach registry %s (is it running, and is the address right?): %w", ErrUnreachable, reg, err)
	}
	return fmt.Errorf("registry %s: %w", reg, err)
}

// parseRef parses a reference such as 127.0.0.1:5000/hello:gcc-static.
func parseRef(ref string) (name.Reference, error) {
	r, err := name.ParseReference(ref, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: want REGISTRY/REPOSITORY:TAG or @sha256:DIGEST: %w", ref, err)
	}
	return r, nil
}

// parseRepo parses a repository such as ghcr.io/owner/fromscratch.
func parseRepo(repo string) (name.Repository, error) {
	r, err := name.NewRepository(repo, name.StrictValidation)
	if err != nil {
		return name.Repository{}, fmt.Errorf("parsing repository %q: want REGISTRY/REPOSITORY, e.g. ghcr.io/owner/name: %w", repo, err)
	}
	return r, nil
}
