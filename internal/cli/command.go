package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// command is the command tree of the verbs table: a command per word,
// the flags of Variables on every command, --json on jsonVerbs, help
// (Usage for the root, cobra's for a verb), "did you mean" for mistyped
// commands and flags, and cobra's completion for bash, zsh and fish.
func (c *CLI) command() *cobra.Command {
	root := &cobra.Command{
		Use:           "fromscratch",
		Short:         "C and C++ programs in the smallest scratch images, for four platforms at once",
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          c.noCommand,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	for _, v := range Variables {
		if v.Flag != "" {
			c.addFlag(root.PersistentFlags(), v)
		}
	}
	root.SetGlobalNormalizationFunc(plurals)
	root.SetFlagErrorFunc(flagError)
	cobraHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if cmd == root {
			Usage(cmd.OutOrStdout())
			return
		}
		cobraHelp(cmd, args)
	})
	for _, v := range verbs {
		c.addVerb(root, v)
	}
	for _, cmd := range root.Commands() {
		if cmd.Short == "" { // a namespace: image, matrix, ...
			cmd.Short = "commands " + strings.Join(names(cmd), ", ")
		}
	}
	c.completeFlags(root)
	return root
}

// addVerb puts v in the tree under root, making the commands of its
// first words if they are not there yet (namespaces such as image).
func (c *CLI) addVerb(root *cobra.Command, v verb) {
	parent := root
	words := strings.Fields(v.words)
	for _, w := range words {
		cmd := child(parent, w)
		if cmd == nil {
			cmd = &cobra.Command{Use: w, Args: c.noCommand,
				RunE: func(cmd *cobra.Command, _ []string) error {
					return usageError{fmt.Errorf("%s: want a command: %s", cmd.CommandPath(), strings.Join(names(cmd), ", "))}
				}}
			parent.AddCommand(cmd)
		}
		parent = cmd
	}
	cmd := parent
	cmd.Use = strings.TrimSpace(words[len(words)-1] + " " + strings.Join(v.args, " "))
	cmd.Short = v.doc
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if min, repeats := v.arity(); cmd.HasSubCommands() && min == 0 && !repeats && len(args) > 0 {
			return c.noCommand(cmd, args) // a mistyped subcommand: bench fiels
		}
		return v.checkArgs(args)
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c.ran = true
		return v.run(c, cmd.Context(), args)
	}
	if slices.Contains(jsonVerbs, v.words) {
		cmd.Flags().BoolVar(&c.json, "json", false, "print the result as JSON on stdout (its schema: the README's JSON results)")
	}
	if slices.ContainsFunc(v.args, func(a string) bool { return strings.Contains(a, "NAME") && !strings.Contains(a, "=") }) {
		cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return c.recipeNames(), cobra.ShellCompDirectiveNoFileComp
		}
	}
}

// child is parent's subcommand named name, or nil.
func child(parent *cobra.Command, name string) *cobra.Command {
	for _, cmd := range parent.Commands() {
		if cmd.Name() == name {
			return cmd
		}
	}
	return nil
}

// names are cmd's subcommands' names, sorted.
func names(cmd *cobra.Command) []string {
	var out []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			out = append(out, sub.Name())
		}
	}
	slices.Sort(out)
	return out
}

// noCommand refuses arguments to a command that takes a subcommand and
// no arguments, with the closest subcommand.
func (c *CLI) noCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usageError{fmt.Errorf("unknown command %q for %q%s (fromscratch help lists the commands)",
		args[0], cmd.CommandPath(), recipe.DidYouMean(args[0], append(names(cmd), "help")))}
}

// setting is the pflag.Value of one variable's flag: it records what the
// command line says into the CLI's Flags, which win over the environment.
type setting struct {
	v     Variable
	flags *Flags
}

func (s setting) String() string { return "" } // no default shown: the variable's is in its meaning

func (s setting) Type() string {
	switch s.v.Kind {
	case FlagBool, FlagNegated:
		return "bool"
	case FlagList:
		return "list"
	}
	return "value"
}

func (s setting) Set(value string) error {
	switch s.v.Kind {
	case FlagBool, FlagNegated:
		b, err := parseBool("--"+s.v.Flag, value, false)
		if err != nil {
			return err
		}
		value = fmt.Sprint(b != (s.v.Kind == FlagNegated))
	case FlagList:
		if prev := (*s.flags)[s.v.Name]; prev != "" {
			value = prev + "," + value // --platform a --platform b
		}
	}
	(*s.flags)[s.v.Name] = value
	return nil
}

// addFlag defines v's flag on fs; its usage names the variable.
func (c *CLI) addFlag(fs *pflag.FlagSet, v Variable) {
	f := fs.VarPF(setting{v: v, flags: &c.flags}, v.Flag, v.Short, v.Name+": "+v.Meaning)
	if v.Kind == FlagBool || v.Kind == FlagNegated {
		f.NoOptDefVal = "true"
	}
}

// plurals lets a list flag be spelt like its variable: --platforms is
// --platform.
func plurals(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	for _, v := range Variables {
		if v.Kind == FlagList && name == v.Flag+"s" {
			return pflag.NormalizedName(v.Flag)
		}
	}
	return pflag.NormalizedName(name)
}

// flagError is a bad flag, with the closest known one when it is unknown.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	path := strings.TrimPrefix(cmd.CommandPath(), "fromscratch ")
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if name == "json" {
			return usageError{fmt.Errorf("%s: --json: only %s print JSON", path, strings.Join(jsonVerbs, ", "))}
		}
		var known []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) { known = append(known, "--"+f.Name) })
		msg += recipe.DidYouMean("--"+name, known)
	}
	return usageError{fmt.Errorf("%s: %s; fromscratch %s --help lists its flags", path, msg, path)}
}

// completeFlags completes the values of the list flags.
func (c *CLI) completeFlags(root *cobra.Command) {
	fixed := func(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return values, cobra.ShellCompDirectiveNoFileComp
		}
	}
	var platforms []string
	for _, p := range recipe.Platforms {
		platforms = append(platforms, string(p))
	}
	root.RegisterFlagCompletionFunc("platform", fixed(platforms...))
	root.RegisterFlagCompletionFunc("linkage", fixed("static", "dynamic"))
	root.RegisterFlagCompletionFunc("shards", fixed("platform", "toolchain", "single"))
	root.RegisterFlagCompletionFunc("recipe", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return c.recipeNames(), cobra.ShellCompDirectiveNoFileComp
	})
	root.RegisterFlagCompletionFunc("toolchain", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return c.toolchainNames(), cobra.ShellCompDirectiveNoFileComp
	})
}

// recipeNames are the folders of recipes/ with a recipe.toml, for
// completion; none outside a project.
func (c *CLI) recipeNames() []string {
	files, _ := filepath.Glob(filepath.Join(c.root, "recipes", "*", "recipe.toml"))
	var out []string
	for _, f := range files {
		out = append(out, filepath.Base(filepath.Dir(f)))
	}
	return out
}

// toolchainNames are the toolchain files' names and "prebuilt", for
// completion.
func (c *CLI) toolchainNames() []string {
	files, _ := filepath.Glob(filepath.Join(c.root, "toolchains", "*.toml"))
	out := []string{prebuiltToolchain}
	for _, f := range files {
		out = append(out, strings.TrimSuffix(filepath.Base(f), ".toml"))
	}
	return out
}

// newTable is the aligned two-space table of help and lists.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }
