package spell

import "testing"

func TestCommand(t *testing.T) {
	if got := Command("toolchains:lock"); got != "go tool mage toolchains:lock" {
		t.Errorf("mage spelling: %q", got)
	}
	if got := Verb("image:wrap"); got != "image:wrap" {
		t.Errorf("mage's verb: %q", got)
	}
	UseCommand()
	t.Cleanup(func() { command.Store(false) })
	for target, want := range map[string]string{
		"toolchains:lock": "fromscratch toolchains lock",
		"build:all":       "fromscratch build all",
		"setup":           "fromscratch setup",
	} {
		if got := Command(target); got != want {
			t.Errorf("Command(%q) = %q, want %q", target, got, want)
		}
		if got := Verb(target); "fromscratch "+got != want {
			t.Errorf("Verb(%q) = %q, want %q without the program", target, got, want)
		}
	}
}
