package inspect

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
)

// CheckParty reports what is wrong with an organisation as the SBOMs name
// it (supplier, creator, author): a name that fits SPDX's
// "Organization: <name> (<e-mail>)" (not empty, no parenthesis or control
// character), an https URL, and an e-mail address that is bare or "".
func CheckParty(name, link, email string) error {
	if name == "" || strings.TrimSpace(name) != name || strings.ContainsAny(name, "()") ||
		strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("name %q is empty, padded, or has a parenthesis or control character", name)
	}
	if u, err := url.Parse(link); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return fmt.Errorf("URL %q is not an https URL", link)
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			return fmt.Errorf("e-mail %q is not a bare address", email)
		}
	}
	return nil
}
