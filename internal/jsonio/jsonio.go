// Package jsonio writes the JSON reports of the release tools: indented by
// two spaces, keys of maps sorted (as encoding/json does), one trailing
// newline.
package jsonio

import (
	"encoding/json"
	"io"
)

// Write writes v to w as indented JSON followed by a newline.
func Write(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
