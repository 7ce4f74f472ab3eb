package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// versionInfo is the output of "version --json".
type versionInfo struct {
	Version       string            `json:"version"`
	GoVersion     string            `json:"go_version"`
	Path          string            `json:"path"`
	Module        string            `json:"module"`
	ModuleVersion string            `json:"module_version"`
	Settings      map[string]string `json:"settings"`
}

// cmdVersion prints the version and the build settings the Go toolchain
// embedded, in the style of "go version -m".
func cmdVersion(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("version: unexpected argument %q", fs.Arg(0))
	}
	v := versionInfo{Version: version, GoVersion: runtime.Version(), Settings: map[string]string{}}
	bi, ok := debug.ReadBuildInfo()
	var settings []debug.BuildSetting
	if ok {
		v.GoVersion, v.Path = bi.GoVersion, bi.Path
		v.Module, v.ModuleVersion = bi.Main.Path, bi.Main.Version
		settings = bi.Settings
		for _, s := range settings {
			v.Settings[s.Key] = s.Value
		}
	}
	if *asJSON {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintf(stdout, "cavra-runtime %s\n", v.Version)
	fmt.Fprintf(stdout, "\tgo\t%s\n", v.GoVersion)
	if !ok {
		fmt.Fprintf(stdout, "\t(no build information embedded)\n")
		return nil
	}
	fmt.Fprintf(stdout, "\tpath\t%s\n", v.Path)
	fmt.Fprintf(stdout, "\tmod\t%s\t%s\n", v.Module, v.ModuleVersion)
	for _, s := range settings {
		fmt.Fprintf(stdout, "\tbuild\t%s=%s\n", s.Key, s.Value)
	}
	if _, ok := v.Settings["-trimpath"]; !ok {
		fmt.Fprintf(stdout, "\tbuild\t-trimpath=false (not set)\n")
	}
	return nil
}
