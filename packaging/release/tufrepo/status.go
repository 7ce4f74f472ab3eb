package tufrepo

import (
	"fmt"
	"io"
	"time"

	"github.com/cavra/cavra/packaging/format/signingops"
	"github.com/cavra/cavra/packaging/format/tuf"
)

// Status writes what the repository holds and what needs doing at time
// now: the root's version and expiry, each role's keys with where they are
// held, their age against the rotation policy, the revocations, and the
// changes due.
func (r *Repo) Status(w io.Writer, now time.Time) {
	m, _ := tuf.Parse(r.Roots[len(r.Roots)-1], tuf.RoleRoot)
	days := func(t time.Time) int { return int(t.Sub(now).Hours() / 24) }
	fmt.Fprintf(w, "trust repository %s: root version %d, expires %s (%d days)\n", r.Dir, r.root.Version, r.root.Expires, days(m.Expires))
	var todo []string
	if left := days(m.Expires); left < 60 {
		todo = append(todo, fmt.Sprintf("the root expires in %d days: go run mage.go trust:rotate root (signs a new root version with a new expiry)", left))
	}
	for _, role := range r.Ops.Roles {
		fmt.Fprintf(w, "  %-9s %d of %d, keys rotate after %d days, metadata expires after %d days\n", role.Name, role.Threshold, len(role.Keys), role.RotationDays, role.ExpiryDays)
		for _, k := range role.Keys {
			created, _ := time.Parse(signingops.DateFormat, k.Created)
			age := int(now.Sub(created).Hours() / 24)
			due := ""
			if age > role.RotationDays {
				due = "  DUE FOR ROTATION"
				todo = append(todo, fmt.Sprintf("%s key %s is %d days old (policy %d): go run mage.go trust:rotate %s", role.Name, tuf.Short(k.KeyID), age, role.RotationDays, role.Name))
			}
			fmt.Fprintf(w, "    %s %-19s %3d days old, held in %s %s%s\n", tuf.Short(k.KeyID), k.Scheme, age, k.HeldBy.Kind, k.HeldBy.Ref, due)
		}
	}
	for _, v := range r.Ops.Revocations {
		fmt.Fprintf(w, "  revoked %s (%s) on %s in root version %d: %s\n", tuf.Short(v.KeyID), v.Role, v.Revoked, v.RootVersion, v.Reason)
	}
	if len(todo) == 0 {
		fmt.Fprintln(w, "nothing due")
		return
	}
	for _, t := range todo {
		fmt.Fprintln(w, "TODO  "+t)
	}
}
