// Package signing reads and writes the Ed25519 keys firebreak signs with, in
// the forms openssl and ClawSec use: PKCS#8 private keys and SPKI public keys
// in PEM, with the SPKI SHA-256 fingerprint.
//
// Errors name the file and what is wrong with it, never the key material.
package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// MaxKeyFile is the largest key file read: keys are a few hundred bytes.
const MaxKeyFile = 64 << 10

// KeyError says what is wrong with a key file.
type KeyError struct {
	Path   string
	Reason string
	Hint   string
}

func (e *KeyError) Error() string { return fmt.Sprintf("key %s: %s", e.Path, e.Reason) }

// ErrEncrypted is returned for an encrypted private key.
var ErrEncrypted = errors.New("encrypted private key")

func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &KeyError{Path: path, Reason: "not a regular file"}
	}
	if fi.Size() > MaxKeyFile {
		return nil, &KeyError{Path: path, Reason: fmt.Sprintf("%d bytes is too large for a key file", fi.Size())}
	}
	return os.ReadFile(path)
}

func firstBlock(path string, b []byte) (*pem.Block, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, &KeyError{Path: path, Reason: "no PEM block found", Hint: "expected -----BEGIN PRIVATE KEY----- or -----BEGIN PUBLIC KEY-----"}
	}
	return block, nil
}

func typeName(k any) string {
	switch k := k.(type) {
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "an RSA key"
	case *ecdsa.PrivateKey:
		return "an ECDSA " + k.Curve.Params().Name + " key"
	case *ecdsa.PublicKey:
		return "an ECDSA " + k.Curve.Params().Name + " key"
	default:
		return fmt.Sprintf("a %T key", k)
	}
}

// LoadPrivateKey reads an Ed25519 private key in PKCS#8 PEM ("PRIVATE KEY"),
// as `openssl genpkey -algorithm Ed25519` writes it.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	block, err := firstBlock(path, b)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case "PRIVATE KEY":
	case "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("%w: %w", &KeyError{Path: path, Reason: "is an encrypted PKCS#8 key", Hint: "decrypt it with: openssl pkey -in KEY -out PLAIN.pem"}, ErrEncrypted)
	case "PUBLIC KEY":
		return nil, &KeyError{Path: path, Reason: "is a public key; a private key is needed"}
	default:
		return nil, &KeyError{Path: path, Reason: fmt.Sprintf("PEM block %q is not a PKCS#8 private key", block.Type)}
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, &KeyError{Path: path, Reason: "malformed PKCS#8 private key"}
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, &KeyError{Path: path, Reason: "is " + typeName(k) + ", not Ed25519"}
	}
	return priv, nil
}

// LoadPublicKey reads an Ed25519 public key in SPKI PEM ("PUBLIC KEY"), or
// derives it from a PKCS#8 private key file.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	block, err := firstBlock(path, b)
	if err != nil {
		return nil, err
	}
	if block.Type == "PRIVATE KEY" || block.Type == "ENCRYPTED PRIVATE KEY" {
		priv, err := LoadPrivateKey(path)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	}
	if block.Type != "PUBLIC KEY" {
		return nil, &KeyError{Path: path, Reason: fmt.Sprintf("PEM block %q is not an SPKI public key", block.Type)}
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, &KeyError{Path: path, Reason: "malformed SPKI public key"}
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, &KeyError{Path: path, Reason: "is " + typeName(k) + ", not Ed25519"}
	}
	return pub, nil
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

// ContainsKeyMaterial reports whether b holds a PEM block of any private or
// public key: used to keep key material out of the journal and exports.
func ContainsKeyMaterial(b []byte) bool {
	return bytes.Contains(b, []byte("-----BEGIN ")) && bytes.Contains(b, []byte("KEY-----"))
}
