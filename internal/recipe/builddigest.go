package recipe

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// BuildDigest is the sha256 of what recipe.toml says about building:
// every parsed field but the ones no compile reads (the folder's name and
// path, the description, the licence, the smoke run, the linkages' smoke_args and the
// exclusions). Compile keys
// take it instead of the file's bytes, so a comment, a reformatting or a
// smoke change leaves every compiled cell as it is.
func (r *Recipe) BuildDigest() (string, error) {
	c := *r
	c.Name, c.Dir, c.Description, c.License = "", "", "", "" // the licence reaches the program's package note through its own key
	c.Smoke, c.Exclude = Smoke{}, nil
	c.Static.SmokeArgs, c.Dynamic.SmokeArgs = nil, nil
	data, err := json.Marshal(c) // maps are written with sorted keys
	if err != nil {
		return "", fmt.Errorf("digesting recipe %s: %w", r.Name, err)
	}
	sum := sha256.Sum256(append([]byte("recipe.build/v1\x00"), data...))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
