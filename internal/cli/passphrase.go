package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// passFlag registers --passphrase-file.
func passFlag(fs *flag.FlagSet) *string {
	return fs.String("passphrase-file", "", "read an encrypted key's passphrase from the first line of `FILE` (as openssl -passin file: does); never give it on the command line")
}

// passphrase returns how to get a key's passphrase: from the file when one
// is given, else by asking on the terminal, else nil (none can be had).
func (a *invocation) passphrase(file, what string) signing.Passphrase {
	if file != "" {
		return func() ([]byte, error) { return readPassFile(file) }
	}
	if a.noTTY {
		return nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	return func() ([]byte, error) {
		defer tty.Close()
		fmt.Fprintf(tty, "Passphrase for %s: ", what)
		pw, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		return pw, nil
	}
}

// readPassFile reads the first line of a passphrase file.
func readPassFile(path string) ([]byte, error) {
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("passphrase file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("passphrase file %s: %w", path, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("passphrase file %s: the first line is empty", path)
	}
	return []byte(line), nil
}
