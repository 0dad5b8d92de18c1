//go:build !linux

package evidence

import "os"

// writeBehind is the file itself where the kernel offers no way to start
// the writeback early (see writeback_linux.go).
type writeBehind struct{ *os.File }

func newWriteBehind(f *os.File) writeBehind { return writeBehind{f} }
