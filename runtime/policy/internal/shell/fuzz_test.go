package shell

import (
	"slices"
	"strings"
	"testing"
)

// FuzzRead checks, for any line, that reading it does not fail, that it
// is read the same way twice, that a plain line is read as its words,
// and that every command a shell would run as written is exact.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"terraform plan", "a && b | c", "sudo sh -c 'x; y'", "echo $(a `b`) <<E\nc\nE", `C:\x y`, "a '", "$'\\x41'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		first := read(line)
		if again := read(line); again != first {
			t.Fatalf("%q read two ways:\n%s\n%s", line, first, again)
		}
		rd := Read(line)
		defer rd.Release()
		if Plain(line) {
			if len(rd.Commands) != 1 || !slices.Equal(rd.Commands[0].Words, strings.Split(line, " ")) || !rd.Commands[0].Exact {
				t.Fatalf("plain %q read as %s", line, first)
			}
		}
		for _, c := range rd.Commands {
			if c.Via&speculative == 0 && !c.View && !c.Exact || c.Via&speculative != 0 && c.Exact {
				t.Fatalf("%q: %+v is exact %v", line, c, c.Exact)
			}
		}
	})
}
