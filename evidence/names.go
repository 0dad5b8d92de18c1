package evidence

// This file: the names things get in a store: safe to show, short enough, unique.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SafeName is the name a file gets in a store: its own name with every byte
// a person could be misled by, or a terminal could act on, written as %XX —
// bytes that are not UTF-8, control characters (C0, DEL, C1), bidirectional
// and zero-width formatting characters, and % itself (so the mapping is
// one to one). Slashes separate the components of a relative name.
// hashes.txt and every listing can then show store names as they are.
func SafeName(rel string) string {
	var b strings.Builder
	for i := 0; i < len(rel); {
		r, n := utf8.DecodeRuneInString(rel[i:])
		if (r == utf8.RuneError && n == 1) || r == '%' || unsafeRune(r) {
			for _, c := range []byte(rel[i : i+n]) {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		} else {
			b.WriteString(rel[i : i+n])
		}
		i += n
	}
	out := b.String()
	// No component may be "." or "..", or start with the store's own
	// prefixes, or be longer than a file name may be.
	parts := strings.Split(out, "/")
	orig := strings.Split(rel, "/")
	for i, c := range parts {
		if len(c) > maxComponent && i < len(orig) {
			c = shorten(c, orig[i])
			parts[i] = c
		}
		switch {
		case c == "." || c == "..":
			parts[i] = strings.ReplaceAll(c, ".", "%2E")
		case strings.HasPrefix(c, "."):
			if strings.HasPrefix(c, incomingPfx) || c == ManifestFile || c == HashesFile || c == lockFile || strings.HasPrefix(c, "."+ManifestFile+".") {
				parts[i] = "%2E" + c[1:]
			}
		case c == ManifestFile || c == HashesFile:
			if i == 0 {
				parts[i] = "_" + c
			}
		}
	}
	return strings.Join(parts, "/")
}

// maxComponent is the longest store name component: file systems allow 255
// bytes, and the store adds -N for uniqueness and .incoming-… while copying.
const maxComponent = 200

// shorten cuts an escaped name component to fit, keeping its start and
// extension and adding 12 hex digits of the SHA-256 of the original
// component, so different names stay different. The exact name is in the
// record.
func shorten(escaped, original string) string {
	sum := sha256.Sum256([]byte(original))
	tag := "~" + hex.EncodeToString(sum[:6])
	ext := filepath.Ext(escaped)
	if len(ext) > 16 || strings.Contains(ext, "%") {
		ext = ""
	}
	keep := maxComponent - 2 - len(tag) - len(ext) // room for an escaped leading dot
	cut := keep
	for cut > 0 && !utf8.RuneStart(escaped[cut]) {
		cut--
	}
	// Do not split a %XX escape.
	if i := strings.LastIndexByte(escaped[:cut], '%'); i >= 0 && cut-i < 3 {
		cut = i
	}
	return escaped[:cut] + tag + ext
}

func unsafeRune(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r == 0x061c, r == 0x200b, r == 0x200c, r == 0x200d, r == 0x200e, r == 0x200f, r == 0xfeff:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// ShowPath is a path for people and records: UTF-8 with the bytes SafeName
// escapes written as %XX. The second result is the exact bytes when the
// path is not UTF-8 (nil otherwise): JSON can hold any UTF-8 text, but not
// other bytes.
func ShowPath(p string) (string, []byte) {
	if utf8.ValidString(p) {
		return p, nil
	}
	return SafeName(p), []byte(p)
}

// uniqueName returns a name in the store not yet taken — name, name-2.ext …
// — avoiding also the names in taken (a preview's earlier picks).
func (s *Store) uniqueName(rel string, taken map[string]bool) (string, error) {
	dir, file := filepath.Split(filepath.FromSlash(rel))
	ext := filepath.Ext(file)
	stem := strings.TrimSuffix(file, ext)
	if stem == "" {
		stem, ext = file, ""
	}
	for i := 1; i < 100000; i++ {
		cand := file
		if i > 1 {
			cand = stem + "-" + strconv.Itoa(i) + ext
		}
		full := filepath.Join(s.Dir, dir, cand)
		name := filepath.ToSlash(filepath.Join(dir, cand))
		if _, err := os.Lstat(full); errors.Is(err, fs.ErrNotExist) && !taken[name] {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free name for %s in %s (100,000 taken)", rel, s.Dir)
}

func incomingName(dest string) string {
	var rnd [6]byte
	rand.Read(rnd[:])
	base := filepath.Base(dest)
	if len(base) > maxComponent {
		cut := maxComponent
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		base = base[:cut] // the twin is found by inode when its name is cut
	}
	return filepath.Join(filepath.Dir(dest), incomingPfx+hex.EncodeToString(rnd[:])+"-"+base)
}
