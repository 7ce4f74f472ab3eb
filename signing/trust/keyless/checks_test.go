package keyless

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCheckTable holds the table of checks in the package documentation
// and the list Checks to each other, and every check to a function that
// fails with it.
func TestCheckTable(t *testing.T) {
	doc, err := os.ReadFile("keyless.go")
	if err != nil {
		t.Fatal(err)
	}
	_, checks, ok := strings.Cut(string(doc), "// # Checks\n")
	if !ok {
		t.Fatal("keyless.go has no # Checks section")
	}
	checks, _, _ = strings.Cut(checks, "\npackage ")
	row := regexp.MustCompile(`^//\t([a-z][a-z.-]*)\s`)
	var table []string
	for line := range strings.Lines(checks) {
		if m := row.FindStringSubmatch(line); m != nil {
			table = append(table, m[1])
		}
	}
	if !slices.Equal(table, Checks) {
		t.Errorf("the doc's table lists\n%v\nChecks lists\n%v", table, Checks)
	}
}
