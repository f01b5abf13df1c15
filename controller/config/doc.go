// Package config is menweid's configuration file: its shape (YAML), its
// defaults, and the validation of every part, with errors that name the
// field path, the expected form and the line ("config: line 13:
// doors[0].pulse: "3 seconds" is not a duration such as 3s or 500ms").
// It is the only package that reads YAML. docs/config.md describes the file.
package config
