package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/bounded"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/packaging/verify/tufclient"
)

// runTrust runs `cavra trust init` and `cavra trust status`.
func runTrust(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("cavra trust "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("trust-dir", "", "the trust folder (made if missing)")
	var root *string
	switch cmd {
	case "init":
		root = fs.String("root", "", "the root metadata you trust, obtained out of band (e.g. 1.root.json)")
	case "status":
	default:
		fmt.Fprintf(stderr, "cavra trust: unknown command %q\n%s", cmd, usageText)
		return 2
	}
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 || *dir == "" || (root != nil && *root == "") {
		fmt.Fprintf(stderr, "cavra trust %s: want -trust-dir DIR%s and no arguments\n", cmd, map[bool]string{true: " -root FILE"}[root != nil])
		return 2
	}
	if cmd == "status" {
		s, err := tufclient.Load(*dir)
		if err != nil {
			fmt.Fprintf(stderr, "cavra trust status: %v\n", err)
			return 2
		}
		writeStatus(stdout, *dir, s, time.Now())
		return 0
	}
	data, err := bounded.ReadFile(*root, tuf.MaxSize(tuf.RoleRoot))
	if err != nil {
		fmt.Fprintf(stderr, "cavra trust init: %v\n", err)
		return 2
	}
	s, warn, err := tufclient.Init(*dir, data, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "cavra trust init: %s: %v\n", *root, err)
		return 1
	}
	for _, w := range warn {
		fmt.Fprintf(stdout, "WARN  %s\n", w)
	}
	r, _ := s.Root()
	fmt.Fprintf(stdout, "trust folder %s pins root version %d of %s:\n", *dir, r.Version, *root)
	writeRoles(stdout, r)
	fmt.Fprintf(stdout, "verify with --trust-dir %s (CAVRA_TRUST_DIR for the mage targets)\n", *dir)
	return 0
}

func writeRoles(w io.Writer, r *tuf.Root) {
	for _, name := range tuf.Roles {
		role := r.Roles[name]
		ids := make([]string, len(role.KeyIDs))
		for i, id := range role.KeyIDs {
			ids[i] = tuf.Short(id)
		}
		fmt.Fprintf(w, "  %-9s %d of %d: %s\n", name, role.Threshold, len(role.KeyIDs), strings.Join(ids, " "))
	}
}

func writeStatus(w io.Writer, dir string, s *tufclient.State, now time.Time) {
	r, m := s.Root()
	v := s.Versions()
	state := "valid"
	if tuf.Expired(m.Expires, now) {
		state = "EXPIRED"
	}
	fmt.Fprintf(w, "trust folder %s: root version %d (%d kept), expires %s (%s)\n", dir, r.Version, len(s.Roots), r.Expires, state)
	writeRoles(w, r)
	if v.Timestamp == 0 {
		fmt.Fprintln(w, "no package recorded yet")
		return
	}
	fmt.Fprintf(w, "last package %s, recorded %s: timestamp %d, snapshot %d, targets %d; an older one is refused as a rollback\n",
		s.Package, s.Updated.Format(tuf.TimeFormat), v.Timestamp, v.Snapshot, v.Targets)
}
