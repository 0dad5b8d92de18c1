package signing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/crypto/scrypt"
)

// Encrypted PKCS#8 (RFC 5208 EncryptedPrivateKeyInfo with PBES2, RFC 8018):
// what `openssl genpkey -aes256` and `openssl pkcs8 -topk8 [-scrypt]` write.
// Go's standard library reads only unencrypted PKCS#8.

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

type encryptedPrivateKeyInfo struct {
	Algo pkix.AlgorithmIdentifier
	Data []byte
}

type pbes2Params struct {
	KDF pkix.AlgorithmIdentifier
	Enc pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

type scryptParams struct {
	Salt      []byte
	N         int
	R         int
	P         int
	KeyLength int `asn1:"optional"`
}

// Limits on what an encrypted key may ask of us, so a crafted file cannot
// make firebreak spin or exhaust memory.
const (
	maxPBKDF2Iterations = 10_000_000
	maxScryptN          = 1 << 20
)

// PBKDF2Iterations is the iteration count firebreak writes (PBKDF2 with
// HMAC-SHA256, AES-256-CBC). Tests lower it.
var PBKDF2Iterations = 600_000

func decryptPKCS8(der, passphrase []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed encrypted PKCS#8 key")
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("encrypted with %v; firebreak reads PBES2 (openssl's default since 1.1)", info.Algo.Algorithm)
	}
	var params pbes2Params
	if rest, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed PBES2 parameters")
	}
	var keyLen int
	switch {
	case params.Enc.Algorithm.Equal(oidAES128CBC):
		keyLen = 16
	case params.Enc.Algorithm.Equal(oidAES192CBC):
		keyLen = 24
	case params.Enc.Algorithm.Equal(oidAES256CBC):
		keyLen = 32
	default:
		return nil, fmt.Errorf("cipher %v is not supported (AES-CBC only)", params.Enc.Algorithm)
	}
	var iv []byte
	if rest, err := asn1.Unmarshal(params.Enc.Parameters.FullBytes, &iv); err != nil || len(rest) > 0 || len(iv) != aes.BlockSize {
		return nil, errors.New("malformed AES-CBC IV")
	}
	var key []byte
	switch {
	case params.KDF.Algorithm.Equal(oidPBKDF2):
		var kp pbkdf2Params
		if rest, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kp); err != nil || len(rest) > 0 {
			return nil, errors.New("malformed PBKDF2 parameters")
		}
		if kp.Iterations < 1 || kp.Iterations > maxPBKDF2Iterations {
			return nil, fmt.Errorf("PBKDF2 iteration count %d is out of range", kp.Iterations)
		}
		if kp.KeyLength != 0 && kp.KeyLength != keyLen {
			return nil, errors.New("PBKDF2 key length does not fit the cipher")
		}
		var h func() hash.Hash
		switch prf := kp.PRF.Algorithm; {
		case len(prf) == 0 || prf.Equal(oidHMACSHA1):
			h = sha1.New
		case prf.Equal(oidHMACSHA256):
			h = sha256.New
		case prf.Equal(oidHMACSHA384):
			h = sha512.New384
		case prf.Equal(oidHMACSHA512):
			h = sha512.New
		default:
			return nil, fmt.Errorf("PBKDF2 PRF %v is not supported", prf)
		}
		var err error
		if key, err = pbkdf2.Key(h, string(passphrase), kp.Salt, kp.Iterations, keyLen); err != nil {
			return nil, fmt.Errorf("PBKDF2: %w", err)
		}
	case params.KDF.Algorithm.Equal(oidScrypt):
		var sp scryptParams
		if rest, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &sp); err != nil || len(rest) > 0 {
			return nil, errors.New("malformed scrypt parameters")
		}
		if sp.N < 2 || sp.N > maxScryptN || sp.R < 1 || sp.R > 32 || sp.P < 1 || sp.P > 16 {
			return nil, errors.New("scrypt parameters are out of range")
		}
		var err error
		if key, err = scrypt.Key(passphrase, sp.Salt, sp.N, sp.R, sp.P, keyLen); err != nil {
			return nil, fmt.Errorf("scrypt: %w", err)
		}
	default:
		return nil, fmt.Errorf("key derivation %v is not supported (PBKDF2 or scrypt)", params.KDF.Algorithm)
	}
	defer clear(key)
	if len(info.Data) == 0 || len(info.Data)%aes.BlockSize != 0 {
		return nil, errors.New("encrypted data is not whole AES blocks")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, info.Data)
	// PKCS#7 padding, checked in constant time; a wrong passphrase almost
	// always fails here, and otherwise in the PKCS#8 parse.
	pad := int(out[len(out)-1])
	good := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, aes.BlockSize)
	if good == 1 {
		for _, b := range out[len(out)-pad:] {
			good &= subtle.ConstantTimeByteEq(b, byte(pad))
		}
	}
	if good != 1 {
		clear(out)
		return nil, ErrPassphrase
	}
	return out[:len(out)-pad], nil
}

// MarshalEncryptedPrivateKeyPEM encodes priv as encrypted PKCS#8 PEM
// ("ENCRYPTED PRIVATE KEY"): PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC,
// readable by `openssl pkey -passin`.
func MarshalEncryptedPrivateKeyPEM(priv ed25519.PrivateKey, passphrase []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("empty passphrase")
	}
	plain, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	salt := make([]byte, 16)
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	key, err := pbkdf2.Key(sha256.New, string(passphrase), salt, PBKDF2Iterations, 32)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(append([]byte{}, plain...), make([]byte, pad)...)
	for i := len(plain); i < len(padded); i++ {
		padded[i] = byte(pad)
	}
	defer clear(padded)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	enc := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(enc, padded)

	nullParams := asn1.RawValue{Tag: asn1.TagNull}
	kdf, err := asn1.Marshal(pbkdf2Params{Salt: salt, Iterations: PBKDF2Iterations, PRF: pkix.AlgorithmIdentifier{Algorithm: oidHMACSHA256, Parameters: nullParams}})
	if err != nil {
		return nil, err
	}
	ivDER, err := asn1.Marshal(iv)
	if err != nil {
		return nil, err
	}
	pb, err := asn1.Marshal(pbes2Params{
		KDF: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
		Enc: pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: ivDER}},
	})
	if err != nil {
		return nil, err
	}
	der, err := asn1.Marshal(encryptedPrivateKeyInfo{
		Algo: pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: pb}},
		Data: enc,
	})
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), nil
}
