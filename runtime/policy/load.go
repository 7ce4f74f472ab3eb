package policy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cavra/cavra/internal/strictjson"
)

// maxFileSize bounds policy and registry files (16 MiB).
const maxFileSize = 16 << 20

// LoadPolicy reads a policy file: a CAVRA compiled policy or a native
// cavra.policy/v1 pack, told apart by shape (a native pack has
// "schema").
func LoadPolicy(name string) (Pack, error) { return load(name, "policy", ParsePolicy) }

// Load reads and compiles a native policy file.
func Load(name string) (*Policy, error) { return load(name, "policy", Parse) }

// LoadRegistry reads and compiles a registry file.
func LoadRegistry(name string) (*Registry, error) { return load(name, "registry", ParseRegistry) }

// load reads the named file and parses it; what names the kind of file in
// errors.
func load[T any](name, what string, parse func([]byte, string) (T, error)) (T, error) {
	data, err := readFile(name)
	if err != nil {
		var none T
		return none, fmt.Errorf("%s: %w", what, err)
	}
	return parse(data, name)
}

// ParsePolicy is LoadPolicy for data read from source.
func ParsePolicy(data []byte, source string) (Pack, error) {
	if t, err := parseJSON(data); err == nil && t.Has("schema") {
		return Parse(data, source)
	}
	return ParseCompiled(data, source)
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, maxFileSize>>20)
	}
	return data, nil
}

// parseJSON parses a policy or registry file by the rules of
// internal/strictjson.
func parseJSON(data []byte) (*strictjson.Value, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, errors.New("empty file")
	}
	return strictjson.Parse(data)
}

// decodeFile decodes a native pack or registry file into v, by the same
// rules, with members v does not have refused.
func decodeFile(data []byte, v any) error {
	if _, err := parseJSON(data); err != nil {
		return err
	}
	return strictjson.Decode(data, v)
}
