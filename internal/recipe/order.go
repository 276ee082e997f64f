package recipe

import (
	"fmt"
	"sort"
	"strings"
)

// Order returns the recipes so that every library comes before the recipes
// that depend on it; among recipes that do not depend on each other, by
// name. A dependency on a recipe that is not among recipes, on a recipe
// that is not a library, or a cycle is an error that names it ("jq depends
// on onig depends on jq").
func Order(recipes []*Recipe) ([]*Recipe, error) {
	byName := make(map[string]*Recipe, len(recipes))
	names := make([]string, 0, len(recipes))
	for _, r := range recipes {
		if _, dup := byName[r.Name]; dup {
			return nil, fmt.Errorf("ordering recipes: %s is given twice", r.Name)
		}
		byName[r.Name] = r
		names = append(names, r.Name)
	}
	sort.Strings(names)
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var out []*Recipe
	var path []string // the chain being visited, for the cycle's message
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			i := 0
			for path[i] != name {
				i++
			}
			return fmt.Errorf("dependency cycle: %s", strings.Join(append(path[i:], name), " depends on "))
		}
		state[name] = visiting
		path = append(path, name)
		r := byName[name]
		deps := append([]string(nil), r.Depends...)
		sort.Strings(deps)
		for _, d := range deps {
			dep, ok := byName[d]
			if !ok {
				return fmt.Errorf("%s depends on %s, which is not a recipe (recipes: %s)", name, d, strings.Join(names, ", "))
			}
			if !dep.IsLibrary() {
				return fmt.Errorf("%s depends on %s, which is not a library (a dependency has kind = \"library\")", name, d)
			}
			if err := visit(d); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		out = append(out, r)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Dependencies returns every library r depends on, directly or through
// another library, in build order (each after its own dependencies): what
// a cell of r installs into its dependency stage before r is built.
// recipes is where the names are looked up; the errors are Order's.
func Dependencies(r *Recipe, recipes []*Recipe) ([]*Recipe, error) {
	ordered, err := Order(recipes)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*Recipe, len(ordered))
	for _, o := range ordered {
		byName[o.Name] = o
	}
	need := map[string]bool{}
	var mark func(names []string) error
	mark = func(names []string) error {
		for _, n := range names {
			dep, ok := byName[n]
			if !ok {
				return fmt.Errorf("%s depends on %s, which is not a recipe", r.Name, n)
			}
			if !need[n] {
				need[n] = true
				if err := mark(dep.Depends); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := mark(r.Depends); err != nil {
		return nil, err
	}
	var out []*Recipe
	for _, o := range ordered {
		if need[o.Name] {
			out = append(out, o)
		}
	}
	return out, nil
}
