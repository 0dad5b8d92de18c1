//go:build !unix

package deps

import "errors"

func mkfifo(string) error { return errors.New("no named pipes here") }
