package signing

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// MaxSignedFile is the largest file signed or verified as a detached
// signature: Ed25519 (pure) signs the whole message at once, and feeds and
// manifests are kilobytes.
const MaxSignedFile = 256 << 20

// SignDetached signs data with pure Ed25519 and returns the signature as
// standard base64 on one line with no trailing newline: byte for byte what
// `openssl pkeyutl -sign -rawin | openssl base64 -A` and the ClawSec
// sign-and-verify action write.
func SignDetached(priv ed25519.PrivateKey, data []byte) []byte {
	sig := ed25519.Sign(priv, data)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sig)))
	base64.StdEncoding.Encode(out, sig)
	return out
}

// SignatureError says why a signature does not verify or cannot be read.
type SignatureError struct {
	Reason string
	bad    bool // well-formed but does not verify
}

func (e *SignatureError) Error() string { return e.Reason }

// Is lets errors.Is(err, ErrBadSignature) match a signature that is well
// formed but does not verify.
func (e *SignatureError) Is(target error) bool { return target == ErrBadSignature && e.bad }

// ParseSignature reads a detached signature file as ClawSec's consumers do:
// surrounding whitespace and a trailing newline are ignored, a JSON object's
// "signature" string field is used, whitespace inside is removed, and the
// base64 may use the standard or URL-safe alphabet, padded or not. Unlike
// Node's decoder, a character outside the alphabet is an error, not
// silently skipped.
func ParseSignature(text []byte) ([]byte, error) {
	t := bytes.TrimSpace(text)
	if len(t) == 0 {
		return nil, &SignatureError{Reason: "the signature file is empty"}
	}
	if t[0] == '{' {
		var wrapper map[string]any
		if err := json.Unmarshal(t, &wrapper); err != nil {
			return nil, &SignatureError{Reason: "the signature file starts with { but is not valid JSON"}
		}
		s, ok := wrapper["signature"].(string)
		if !ok {
			return nil, &SignatureError{Reason: `the JSON signature file has no string field "signature"`}
		}
		t = []byte(s)
	}
	clean := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, string(t))
	for i, r := range clean {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '-' || r == '_' || r == '=') {
			return nil, &SignatureError{Reason: fmt.Sprintf("the signature is not base64: character %q at position %d", r, i)}
		}
	}
	norm := strings.TrimRight(strings.NewReplacer("-", "+", "_", "/").Replace(clean), "=")
	sig, err := base64.RawStdEncoding.DecodeString(norm)
	if err != nil {
		return nil, &SignatureError{Reason: "the signature is not valid base64"}
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, &SignatureError{Reason: fmt.Sprintf("the signature is %d bytes; an Ed25519 signature is 64", len(sig))}
	}
	return sig, nil
}

// VerifyResult is the outcome of a successful VerifyDetached.
type VerifyResult struct {
	Fingerprint string
	KeyID       string
	Size        int
}

// ErrBadSignature is matched by a signature that does not verify.
var ErrBadSignature = errors.New("bad signature")

// VerifyDetached checks a detached signature over data. When pin is not
// empty, the key's fingerprint must equal it (case-insensitive hex).
func VerifyDetached(pub ed25519.PublicKey, data, sigText []byte, pin string) (*VerifyResult, error) {
	fp := Fingerprint(pub)
	if pin != "" && !strings.EqualFold(strings.TrimSpace(pin), fp) {
		return nil, &SignatureError{Reason: fmt.Sprintf("the public key's fingerprint %s does not match the pinned %s", fp, strings.ToLower(strings.TrimSpace(pin)))}
	}
	sig, err := ParseSignature(sigText)
	if err != nil {
		return nil, err
	}
	if !ed25519.Verify(pub, data, sig) {
		return nil, &SignatureError{Reason: "the signature does not verify with this key over these bytes", bad: true}
	}
	return &VerifyResult{Fingerprint: fp, KeyID: fmt.Sprintf("%x", WscKeyID(pub)), Size: len(data)}, nil
}

// ReadSignedFile reads a file to sign or verify: a regular file of at most
// MaxSignedFile bytes.
func ReadSignedFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fsutil.NotRegularError{Path: path, Type: fsutil.TypeName(fi.Mode())}
	}
	if fi.Size() > MaxSignedFile {
		return nil, fmt.Errorf("%s is %d bytes; detached signatures are for files up to %d", path, fi.Size(), MaxSignedFile)
	}
	return fsutil.ReadRegular(path, MaxSignedFile)
}

// VerifyFile checks the detached signature in sigPath over the file at
// path, as VerifyDetached does.
func VerifyFile(path, sigPath string, pub ed25519.PublicKey, pin string) (*VerifyResult, error) {
	data, err := ReadSignedFile(path)
	if err != nil {
		return nil, err
	}
	sig, err := fsutil.ReadRegular(sigPath, 64<<10)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return VerifyDetached(pub, data, sig, pin)
}
