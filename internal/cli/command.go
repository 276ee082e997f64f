package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// command is the command tree of the verbs table: a command per word,
// on each verb the flags of the Variables it uses (For) and --json on
// jsonVerbs, help (Usage for the root, cobra's for a verb), "did you
// mean" for mistyped commands and flags, and cobra's completion for bash,
// zsh and fish.
func (c *CLI) command() *cobra.Command {
	root := &cobra.Command{
		Use:           "fromscratch",
		Short:         "C and C++ programs in the smallest scratch images, for nine platforms at once",
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          c.noCommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.version {
				return c.Version()
			}
			return cmd.Help()
		},
		PersistentPreRunE: c.refuseUnknownVariables,
	}
	root.Flags().BoolVarP(&c.version, "version", "V", false, "fromscratch's version, as fromscratch version prints it")
	root.SetGlobalNormalizationFunc(plurals)
	root.SetFlagErrorFunc(c.flagError)
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
	c.addFlags(root)
	root.InitDefaultHelpCmd()
	if help := child(root, "help"); help != nil {
		help.RunE = c.help
	}
	return root
}

// help is fromscratch help [COMMAND]: the command's help, or a mistyped
// command refused as fromscratch COMMAND refuses it.
func (c *CLI) help(cmd *cobra.Command, args []string) error {
	target, rest, err := cmd.Root().Find(args)
	if err != nil {
		return usageError{err}
	}
	if len(rest) > 0 {
		return c.noCommand(target, rest)
	}
	return target.Help()
}

// words is how the verbs table names cmd: "build all"; "" for the root.
func words(cmd *cobra.Command) string {
	return strings.TrimPrefix(strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()), " ")
}

// isVerb says whether cmd runs a verb of the table.
func isVerb(cmd *cobra.Command) bool {
	w := words(cmd)
	return slices.ContainsFunc(verbs, func(v verb) bool { return v.words == w })
}

// addFlags gives cmd and the commands under it their flags: a verb the
// flags of the variables it uses (For); the root and the commands with
// subcommands also every other flag, hidden, so that a flag given before
// the verb's words (fromscratch -v build hello) is read as a flag while
// the verb is looked for, and the verb then refuses the ones it does not
// use (foreignFlag).
func (c *CLI) addFlags(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		c.addFlags(sub)
	}
	verb, w := isVerb(cmd), words(cmd)
	for _, v := range Variables {
		if v.Flag == "" {
			continue
		}
		mine := verb && slices.Contains(v.For, w)
		if !mine && !cmd.HasSubCommands() {
			continue
		}
		c.addFlag(cmd.Flags(), v).Hidden = !mine
	}
	c.completeFlags(cmd)
}

// refuseUnknownVariables stops every verb (and --version) on a
// FROMSCRATCH_* variable fromscratch does not read, with every other bad
// setting when the project is there to read them; help and completion
// still work.
func (c *CLI) refuseUnknownVariables(cmd *cobra.Command, _ []string) error {
	if cmd.HasParent() && !isVerb(cmd) || !cmd.HasParent() && !c.version {
		return nil // help, completion, a namespace (which wants a command)
	}
	vars := map[string]string{}
	for _, kv := range c.env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	errs := unknownVariables(vars)
	if len(errs) == 0 {
		return nil
	}
	if c.rootErr == nil {
		if _, err := loadConfig(c.root, c.env, c.flags); err != nil {
			return err // every bad setting, the unknown variables among them
		}
	}
	return usageError{settingErrors(errs)}
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
		if err := foreignFlag(cmd); err != nil {
			return err
		}
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
func (c *CLI) addFlag(fs *pflag.FlagSet, v Variable) *pflag.Flag {
	f := fs.VarPF(setting{v: v, flags: &c.flags}, v.Flag, v.Short, v.Name+": "+v.Meaning)
	if v.Kind == FlagBool || v.Kind == FlagNegated {
		f.NoOptDefVal = "true"
	}
	return f
}

// flagVariable is the variable of the flag spelt name ("platform",
// "platforms" or the shorthand "p").
func flagVariable(name string) (Variable, bool) {
	for _, v := range Variables {
		if v.Flag != "" && (name == v.Flag || name == v.Short || v.Kind == FlagList && name == v.Flag+"s") {
			return v, true
		}
	}
	return Variable{}, false
}

// foreignFlag refuses a flag given to a verb that does not use it (the
// hidden flags of a verb with subcommands, such as build's --shards).
func foreignFlag(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if v, ok := flagVariable(f.Name); ok && f.Hidden && err == nil {
			err = notForVerb(cmd, v)
		}
	})
	return err
}

// notForVerb is the error of v's flag given to cmd, which does not use it.
func notForVerb(cmd *cobra.Command, v Variable) error {
	w := words(cmd)
	return usageError{fmt.Errorf("%s: --%s: not a flag of %s (%s is read by %s); fromscratch %s --help lists its flags",
		w, v.Flag, w, v.Name, strings.Join(v.For, ", "), w)}
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

// flagError is a bad flag, with the closest known one when it is
// unknown, or a verb's flag given to another verb; a mistyped command
// before it is reported first (fromscratch bild --platfrom x).
func (c *CLI) flagError(cmd *cobra.Command, err error) error {
	if cerr := c.mistypedCommand(cmd); cerr != nil {
		return cerr
	}
	msg := err.Error()
	w := words(cmd)
	var name string // the unknown flag as given: --platfrom, -V
	if n, ok := strings.CutPrefix(msg, "unknown flag: "); ok {
		name = n
	} else if n, ok := strings.CutPrefix(msg, "unknown shorthand flag: "); ok {
		if r, _, ok := strings.Cut(strings.Trim(n, "'"), "'"); ok {
			name = "-" + r
		}
	}
	if name != "" {
		if name == "--version" || name == "-V" {
			return usageError{fmt.Errorf("%s: %s: fromscratch %s (or fromscratch version) prints the version", w, name, name)}
		}
		if name == "--json" {
			return usageError{fmt.Errorf("%s: --json: only %s print JSON", cmp.Or(w, "fromscratch"), strings.Join(jsonVerbs, ", "))}
		}
		if v, ok := flagVariable(strings.TrimLeft(name, "-")); ok && w != "" {
			return notForVerb(cmd, v)
		}
		var known []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden || !isVerb(cmd) {
				known = append(known, "--"+f.Name)
			}
		})
		msg += recipe.DidYouMean(name, known)
	}
	if w == "" {
		return usageError{fmt.Errorf("%s; fromscratch --help lists the flags", msg)}
	}
	return usageError{fmt.Errorf("%s: %s; fromscratch %s --help lists its flags", w, msg, w)}
}

// mistypedCommand is the error of a mistyped command on the line, if
// cmd takes subcommands and refuses what stands where one would.
func (c *CLI) mistypedCommand(cmd *cobra.Command) error {
	if !cmd.HasSubCommands() {
		return nil
	}
	pos := positionals(c.args, cmd.Flags())
	if n := len(strings.Fields(words(cmd))); len(pos) >= n {
		pos = pos[n:] // the words of cmd itself
	}
	if len(pos) == 0 {
		return nil
	}
	return cmd.ValidateArgs(pos)
}

// positionals are the arguments of args that are not flags nor their
// values, as cobra finds commands: a flag fs does not know is taken to
// have a value.
func positionals(args []string, fs *pflag.FlagSet) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i+1:]...)
		case strings.HasPrefix(a, "--") && !strings.Contains(a, "="):
			if f := fs.Lookup(a[2:]); f == nil || f.NoOptDefVal == "" {
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) == 2:
			if f := fs.ShorthandLookup(a[1:]); f == nil || f.NoOptDefVal == "" {
				i++
			}
		case strings.HasPrefix(a, "-") && a != "-":
		default:
			out = append(out, a)
		}
	}
	return out
}

// completeFlags completes the values of cmd's list flags.
func (c *CLI) completeFlags(cmd *cobra.Command) {
	fixed := func(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return values, cobra.ShellCompDirectiveNoFileComp
		}
	}
	var platforms []string
	for _, p := range recipe.Platforms {
		platforms = append(platforms, string(p))
	}
	for name, f := range map[string]func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective){
		"platform": fixed(platforms...),
		"linkage":  fixed("static", "dynamic"),
		"shards":   fixed("platform", "toolchain", "single"),
		"recipe": func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return c.recipeNames(), cobra.ShellCompDirectiveNoFileComp
		},
		"toolchain": func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return c.toolchainNames(), cobra.ShellCompDirectiveNoFileComp
		},
	} {
		if cmd.Flags().Lookup(name) != nil {
			cmd.RegisterFlagCompletionFunc(name, f)
		}
	}
}

// recipeNames are the project's recipes, for completion; none outside
// a project.
func (c *CLI) recipeNames() []string {
	names, _ := recipeNames(c.root)
	return names
}

// toolchainNames are the toolchain files' names and "prebuilt", for
// completion.
func (c *CLI) toolchainNames() []string {
	return append(workspace.ToolchainNames(c.root), prebuiltToolchain)
}

// newTable is the aligned two-space table of help and lists.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }
