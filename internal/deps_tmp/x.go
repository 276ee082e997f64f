package depstmp

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/google/go-containerregistry/pkg/name"
	_ "github.com/google/go-containerregistry/pkg/registry"
	_ "github.com/google/go-containerregistry/pkg/v1"
	_ "github.com/google/go-containerregistry/pkg/v1/empty"
	_ "github.com/google/go-containerregistry/pkg/v1/layout"
	_ "github.com/google/go-containerregistry/pkg/v1/mutate"
	_ "github.com/google/go-containerregistry/pkg/v1/partial"
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/google/go-containerregistry/pkg/v1/static"
	_ "github.com/google/go-containerregistry/pkg/v1/tarball"
	_ "github.com/google/go-containerregistry/pkg/v1/types"
	_ "github.com/google/go-containerregistry/pkg/v1/validate"
	_ "github.com/hashicorp/go-version"
	_ "github.com/magefile/mage/mg"
	_ "github.com/magefile/mage/sh"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
)
