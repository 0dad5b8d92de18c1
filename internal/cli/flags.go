package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// usageError is a mistake in how a command was called: exit status 2.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

func usagef(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// hintError carries a hint line for the user alongside the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// command is one leaf command. bind registers the command's flags on fs,
// bound to variables of this invocation, and returns the function that runs
// it with the positional arguments.
type command struct {
	name    string // "incident open"
	args    string // "--playbook ID --title TEXT [...]"
	summary string
	minArgs int
	maxArgs int // -1: any
	bind    func(a *invocation, fs *flag.FlagSet) func(args []string) error
}

// parse parses flags placed anywhere among the arguments (flags after
// positional arguments are common: firebreak step ID STEP done --reason X).
// "--" ends flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		name := strings.TrimLeft(a, "-")
		if len(a) < 2 || a[0] != '-' || isNegativeDuration(a) || len(a)-len(name) > 2 || !flagNameRe.MatchString(name) {
			// Not a flag: "-90m", "-----BEGIN …", "- item".
			pos = append(pos, a)
			continue
		}
		if _, err := os.Lstat(a); err == nil {
			// A glob over a hostile directory (evidence add ID *) must not
			// turn a file named --yes into a yes.
			return nil, usagef("put file names after --, e.g. firebreak evidence add ID -- *", "%q is both a flag and a file in this directory", a)
		}
		if k := strings.IndexByte(name, '='); k >= 0 {
			flags = append(flags, a)
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			flags = append(flags, a) // let flag report it
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			flags = append(flags, a)
			continue
		}
		if i+1 >= len(args) {
			return nil, usagef("", "flag %s needs a value", a)
		}
		flags = append(flags, a, args[i+1])
		i++
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usagef("", "%v", err)
	}
	return pos, nil
}

var flagNameRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*(=.*)?$`)

// isNegativeDuration lets "-90m" and "-2h" be values, not flags.
func isNegativeDuration(a string) bool {
	if len(a) < 3 || a[0] != '-' || a[1] < '0' || a[1] > '9' {
		return false
	}
	return true
}
