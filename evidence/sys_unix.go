//go:build unix

package evidence

import (
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}

func originalOf(path string, fi fs.FileInfo) Original {
	o := Original{Path: absOr(path), Size: fi.Size(), Mode: fi.Mode().String(), Perm: "0" + strconv.FormatUint(uint64(fi.Mode().Perm()), 8), MTime: fi.ModTime().UTC()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		o.UID, o.GID = int(st.Uid), int(st.Gid)
		if u, err := user.LookupId(strconv.Itoa(o.UID)); err == nil {
			o.Owner = u.Username
		}
		if g, err := user.LookupGroupId(strconv.Itoa(o.GID)); err == nil {
			o.Group = g.Name
		}
	}
	return o
}
