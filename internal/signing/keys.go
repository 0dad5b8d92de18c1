// Package signing reads and writes the Ed25519 keys firebreak signs with, in
// every form the tools around it use — PKCS#8 private keys (plain and
// encrypted) and SPKI public keys in PEM or DER as openssl writes them, raw
// wsc key files (65-byte secret, 33-byte public), OpenSSH ed25519 keys — and
// makes ClawSec-compatible detached signatures and checksum manifests.
//
// Errors name the file and what is wrong with it, never the key material.
package signing

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// MaxKeyFile is the largest key file read: keys are a few hundred bytes.
const MaxKeyFile = 64 << 10

// Key forms.
const (
	FormPKCS8PEM     = "pkcs8-pem"
	FormPKCS8PEMEnc  = "pkcs8-pem-encrypted"
	FormPKCS8DER     = "pkcs8-der"
	FormSPKIPEM      = "spki-pem"
	FormSPKIDER      = "spki-der"
	FormWscSecret    = "wsc-secret"
	FormWscPublic    = "wsc-public"
	FormOpenSSHPriv  = "openssh-private"
	FormOpenSSHPub   = "openssh-public"
	wscSecretTag     = 0x81
	wscPublicTag     = 0x01
	wscSecretFileLen = 65
	wscPublicFileLen = 33
)

// Key is an Ed25519 key read from a file: always a public key, and the
// private key when the file holds one.
type Key struct {
	Public  ed25519.PublicKey
	Private ed25519.PrivateKey // nil for a public key
	Form    string
	Path    string
}

// Fingerprint is the key's SPKI SHA-256 fingerprint.
func (k *Key) Fingerprint() string { return Fingerprint(k.Public) }

// KeyID is the key's wsc key id.
func (k *Key) KeyID() string { return hex.EncodeToString(WscKeyID(k.Public)) }

// KeyError says what is wrong with a key file.
type KeyError struct {
	Path   string
	Reason string
	Hint   string
}

func (e *KeyError) Error() string { return fmt.Sprintf("key %s: %s", e.Path, e.Reason) }

// ErrEncrypted is returned for an encrypted private key when no passphrase
// can be had.
var ErrEncrypted = errors.New("encrypted private key")

// ErrPassphrase is returned when a passphrase does not decrypt the key.
var ErrPassphrase = errors.New("wrong passphrase")

// Passphrase supplies a passphrase when a key turns out to be encrypted. It
// is called at most once per key.
type Passphrase func() ([]byte, error)

// ReadKeyFile reads a key file: a regular file of at most MaxKeyFile bytes.
func ReadKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &KeyError{Path: path, Reason: "a " + fsutil.TypeName(fi.Mode()) + ", not a regular file"}
	}
	if fi.Size() > MaxKeyFile {
		return nil, &KeyError{Path: path, Reason: fmt.Sprintf("%d bytes is too large for a key file", fi.Size())}
	}
	if fi.Size() == 0 {
		return nil, &KeyError{Path: path, Reason: "empty file"}
	}
	b, err := fsutil.ReadRegular(path, MaxKeyFile)
	if err != nil {
		return nil, &KeyError{Path: path, Reason: err.Error()}
	}
	return b, nil
}

// LoadKey reads a key in any supported form. pass is asked for a passphrase
// only when the key is encrypted; nil means none can be had.
func LoadKey(path string, pass Passphrase) (*Key, error) {
	b, err := ReadKeyFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParseKey(b, path, pass)
	if err != nil {
		return nil, err
	}
	k.Path = path
	return k, nil
}

// LoadPrivateKey reads a private key in any supported form.
func LoadPrivateKey(path string, pass Passphrase) (ed25519.PrivateKey, error) {
	k, err := LoadKey(path, pass)
	if err != nil {
		return nil, err
	}
	if k.Private == nil {
		return nil, &KeyError{Path: path, Reason: "is a public key (" + k.Form + "); a private key is needed"}
	}
	return k.Private, nil
}

// LoadPublicKey reads a public key, or the public half of a private key, in
// any supported form.
func LoadPublicKey(path string, pass Passphrase) (ed25519.PublicKey, error) {
	k, err := LoadKey(path, pass)
	if err != nil {
		return nil, err
	}
	return k.Public, nil
}

func typeName(k any) string {
	switch k := k.(type) {
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "an RSA key"
	case *ecdsa.PrivateKey:
		return "an ECDSA " + k.Curve.Params().Name + " key"
	case *ecdsa.PublicKey:
		return "an ECDSA " + k.Curve.Params().Name + " key"
	case ssh.PublicKey:
		return "an SSH " + k.Type() + " key"
	case *ecdh.PrivateKey:
		return "an " + curveName(k.Curve()) + " key (for key agreement, not signing)"
	case *ecdh.PublicKey:
		return "an " + curveName(k.Curve()) + " key (for key agreement, not signing)"
	default:
		return fmt.Sprintf("a %T key", k)
	}
}

func curveName(c ecdh.Curve) string {
	switch c {
	case ecdh.X25519():
		return "X25519"
	case ecdh.P256():
		return "ECDH P-256"
	case ecdh.P384():
		return "ECDH P-384"
	case ecdh.P521():
		return "ECDH P-521"
	}
	return "ECDH"
}

// Algorithms Go's x509 does not know, named by their OIDs (RFC 8410).
var otherAlgs = map[string]string{
	"1.3.101.110": "an X25519 key (for key agreement, not signing)",
	"1.3.101.111": "an X448 key (for key agreement, not signing)",
	"1.3.101.113": "an Ed448 key",
}

// unsupportedAlg names the algorithm of a PKCS#8 (private) or SPKI (public)
// DER that Go's x509 refused, when it is one people meet; else "".
func unsupportedAlg(der []byte, private bool) string {
	var oid asn1.ObjectIdentifier
	if private {
		var k struct {
			Version int
			Algo    pkix.AlgorithmIdentifier
			Key     []byte
			Rest    asn1.RawValue `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(der, &k); err != nil {
			return ""
		}
		oid = k.Algo.Algorithm
	} else {
		var k struct {
			Algo pkix.AlgorithmIdentifier
			Key  asn1.BitString
		}
		if _, err := asn1.Unmarshal(der, &k); err != nil {
			return ""
		}
		oid = k.Algo.Algorithm
	}
	return otherAlgs[oid.String()]
}

// ParseKey parses key bytes in any supported form; name is used in errors.
func ParseKey(b []byte, name string, pass Passphrase) (*Key, error) {
	bad := func(reason string) (*Key, error) { return nil, &KeyError{Path: name, Reason: reason} }
	trimmed := bytes.TrimSpace(b)
	switch {
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN ")):
		return parsePEM(trimmed, name, pass)
	case bytes.HasPrefix(trimmed, []byte("ssh-")) || bytes.HasPrefix(trimmed, []byte("ecdsa-")) || bytes.HasPrefix(trimmed, []byte("sk-")):
		pk, _, _, _, err := ssh.ParseAuthorizedKey(trimmed)
		if err != nil {
			return bad("malformed OpenSSH public key line")
		}
		if pk.Type() != ssh.KeyAlgoED25519 {
			return bad("is " + typeName(pk) + ", not Ed25519")
		}
		cpk, ok := pk.(ssh.CryptoPublicKey)
		if !ok {
			return bad("OpenSSH key without a usable public key")
		}
		pub, ok := cpk.CryptoPublicKey().(ed25519.PublicKey)
		if !ok || len(pub) != ed25519.PublicKeySize {
			return bad("OpenSSH ed25519 key of the wrong size")
		}
		return &Key{Public: pub, Form: FormOpenSSHPub}, nil
	case len(b) == wscSecretFileLen && b[0] == wscSecretTag:
		priv := ed25519.NewKeyFromSeed(b[1:33])
		if !bytes.Equal(priv[32:], b[33:65]) {
			return bad("wsc secret key is corrupt: its public half does not match its seed")
		}
		return &Key{Public: priv.Public().(ed25519.PublicKey), Private: priv, Form: FormWscSecret}, nil
	case len(b) == wscPublicFileLen && b[0] == wscPublicTag:
		return &Key{Public: ed25519.PublicKey(append([]byte(nil), b[1:]...)), Form: FormWscPublic}, nil
	case len(b) == wscSecretFileLen || len(b) == wscPublicFileLen:
		return bad(fmt.Sprintf("a %d-byte file that is not a wsc key (first byte 0x%02x; wsc keys start with 0x81 (secret) or 0x01 (public))", len(b), b[0]))
	}
	// DER, as openssl -outform DER writes it.
	if k, err := x509.ParsePKCS8PrivateKey(b); err == nil {
		return fromPKCS8(k, name, FormPKCS8DER)
	}
	if k, err := x509.ParsePKIXPublicKey(b); err == nil {
		return fromSPKI(k, name, FormSPKIDER)
	}
	return bad("not a key in a supported form (PEM PKCS#8 or SPKI, encrypted PKCS#8, DER, raw wsc .sec/.pub, OpenSSH ed25519)")
}

func fromPKCS8(k any, name, form string) (*Key, error) {
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, &KeyError{Path: name, Reason: "is " + typeName(k) + ", not Ed25519"}
	}
	return &Key{Public: priv.Public().(ed25519.PublicKey), Private: priv, Form: form}, nil
}

func fromSPKI(k any, name, form string) (*Key, error) {
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, &KeyError{Path: name, Reason: "is " + typeName(k) + ", not Ed25519"}
	}
	return &Key{Public: pub, Form: form}, nil
}

func parsePEM(b []byte, name string, pass Passphrase) (*Key, error) {
	bad := func(reason, hint string) (*Key, error) {
		return nil, &KeyError{Path: name, Reason: reason, Hint: hint}
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return bad("malformed or truncated PEM", "expected a complete -----BEGIN …----- / -----END …----- block")
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			if what := unsupportedAlg(block.Bytes, true); what != "" {
				return bad("is "+what+"; firebreak signs and verifies with Ed25519 only", "")
			}
			return bad("malformed PKCS#8 private key", "")
		}
		return fromPKCS8(k, name, FormPKCS8PEM)
	case "ENCRYPTED PRIVATE KEY":
		if pass == nil {
			return nil, fmt.Errorf("%w: %w", &KeyError{Path: name, Reason: "is an encrypted PKCS#8 key and no passphrase was given", Hint: "give --passphrase-file FILE (its first line is the passphrase) or run on a terminal"}, ErrEncrypted)
		}
		pw, err := pass()
		if err != nil {
			return nil, fmt.Errorf("key %s: passphrase: %w", name, err)
		}
		der, err := decryptPKCS8(block.Bytes, pw)
		clear(pw)
		if err != nil {
			if errors.Is(err, ErrPassphrase) {
				return nil, fmt.Errorf("%w: %w", &KeyError{Path: name, Reason: "the passphrase does not decrypt it"}, ErrPassphrase)
			}
			return bad(err.Error(), "")
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		clear(der)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", &KeyError{Path: name, Reason: "the passphrase does not decrypt it"}, ErrPassphrase)
		}
		key, err := fromPKCS8(k, name, FormPKCS8PEMEnc)
		return key, err
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			if what := unsupportedAlg(block.Bytes, false); what != "" {
				return bad("is "+what+"; firebreak signs and verifies with Ed25519 only", "")
			}
			return bad("malformed SPKI public key", "")
		}
		return fromSPKI(k, name, FormSPKIPEM)
	case "OPENSSH PRIVATE KEY":
		var raw any
		var err error
		if pass == nil {
			raw, err = ssh.ParseRawPrivateKey(b)
		} else {
			raw, err = ssh.ParseRawPrivateKey(b)
			var missing *ssh.PassphraseMissingError
			if errors.As(err, &missing) {
				pw, perr := pass()
				if perr != nil {
					return nil, fmt.Errorf("key %s: passphrase: %w", name, perr)
				}
				raw, err = ssh.ParseRawPrivateKeyWithPassphrase(b, pw)
				clear(pw)
				if errors.Is(err, x509.IncorrectPasswordError) {
					return nil, fmt.Errorf("%w: %w", &KeyError{Path: name, Reason: "the passphrase does not decrypt it"}, ErrPassphrase)
				}
			}
		}
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("%w: %w", &KeyError{Path: name, Reason: "is an encrypted OpenSSH key and no passphrase was given", Hint: "give --passphrase-file FILE"}, ErrEncrypted)
		}
		if err != nil {
			return bad("malformed OpenSSH private key", "")
		}
		switch k := raw.(type) {
		case *ed25519.PrivateKey:
			return &Key{Public: k.Public().(ed25519.PublicKey), Private: *k, Form: FormOpenSSHPriv}, nil
		case ed25519.PrivateKey:
			return &Key{Public: k.Public().(ed25519.PublicKey), Private: k, Form: FormOpenSSHPriv}, nil
		default:
			return bad("is "+typeName(raw)+", not Ed25519", "")
		}
	case "RSA PRIVATE KEY", "RSA PUBLIC KEY":
		return bad("is an RSA key (PEM "+block.Type+"), not Ed25519", "")
	case "EC PRIVATE KEY":
		return bad("is an ECDSA key (PEM EC PRIVATE KEY), not Ed25519", "")
	case "CERTIFICATE":
		return bad("is an X.509 certificate, not a key", "")
	}
	return bad(fmt.Sprintf("PEM block %q is not a key firebreak reads", block.Type), "")
}

// Fingerprint is the lowercase hex SHA-256 of the key's SPKI DER encoding,
// the value `openssl pkey -pubin -outform DER | sha256sum` prints.
func Fingerprint(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// WscKeyIDLen is the length of a wsc key id in bytes (24 hex digits).
const WscKeyIDLen = 12

// WscKeyID is the key id wsc stores in a signature: the first 12 bytes of
// HMAC-SHA256 keyed with the raw public key over "key_id".
func WscKeyID(pub ed25519.PublicKey) []byte {
	m := hmac.New(sha256.New, pub)
	m.Write([]byte("key_id"))
	return m.Sum(nil)[:WscKeyIDLen]
}

// MarshalPublicKeyPEM encodes pub as SPKI PEM.
func MarshalPublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// MarshalPrivateKeyPEM encodes priv as unencrypted PKCS#8 PEM.
func MarshalPrivateKeyPEM(priv ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalWscSecret encodes priv as a raw wsc secret key file (65 bytes).
func MarshalWscSecret(priv ed25519.PrivateKey) []byte {
	return append([]byte{wscSecretTag}, priv...)
}

// MarshalWscPublic encodes pub as a raw wsc public key file (33 bytes).
func MarshalWscPublic(pub ed25519.PublicKey) []byte {
	return append([]byte{wscPublicTag}, pub...)
}

// ContainsKeyMaterial reports whether b holds a PEM block of any private or
// public key: used to keep key material out of the journal and exports.
func ContainsKeyMaterial(b []byte) bool {
	return bytes.Contains(b, []byte("-----BEGIN ")) && bytes.Contains(b, []byte("KEY-----"))
}
