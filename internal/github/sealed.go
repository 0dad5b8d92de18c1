package github

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/box"
)

// SealSecret encrypts a secret value for GitHub's secrets API: a libsodium
// sealed box (crypto_box_seal) to the repository's or environment's public
// key, given as GitHub returns it (base64 of 32 bytes), and returns the
// base64 ciphertext to send as encrypted_value.
func SealSecret(publicKeyB64 string, value []byte) (string, error) {
	var pk [32]byte
	raw, err := base64.StdEncoding.DecodeString(publicKeyB64)
	if err != nil || len(raw) != len(pk) {
		return "", fmt.Errorf("GitHub's secrets public key is not 32 bytes of base64")
	}
	copy(pk[:], raw)
	sealed, err := box.SealAnonymous(nil, value, &pk, rand.Reader)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// OpenSecret decrypts what SealSecret produced with the key pair's private
// half: what GitHub does on its side, and what the simulator does to prove
// an upload.
func OpenSecret(encryptedB64 string, publicKey, privateKey *[32]byte) ([]byte, error) {
	sealed, err := base64.StdEncoding.DecodeString(encryptedB64)
	if err != nil {
		return nil, errors.New("encrypted_value is not base64")
	}
	out, ok := box.OpenAnonymous(nil, sealed, publicKey, privateKey)
	if !ok {
		return nil, errors.New("encrypted_value does not open with this key")
	}
	return out, nil
}
