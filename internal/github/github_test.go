package github

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"golang.org/x/crypto/nacl/box"
)

func TestScanWorkflow(t *testing.T) {
	text := `name: release
on: push
# secrets.OLD_SIGNING_KEY is no longer used
jobs:
  sign:
    steps:
      - run: ./sign.sh
        env:
          KEY: ${{ secrets.CLAWSEC_SIGNING_PRIVATE_KEY }}
          PASS: ${{secrets['CLAWSEC_SIGNING_PRIVATE_KEY_PASSPHRASE']}}
          TOKEN: ${{ secrets.GITHUB_TOKEN }}
  call:
    uses: ./.github/workflows/sign.yml
    secrets: inherit
`
	u := ScanWorkflow(text, nil)
	if strings.Join(u.Secrets, ",") != "CLAWSEC_SIGNING_PRIVATE_KEY,CLAWSEC_SIGNING_PRIVATE_KEY_PASSPHRASE,GITHUB_TOKEN" {
		t.Fatalf("secrets %v", u.Secrets)
	}
	if strings.Join(u.Signing, ",") != "CLAWSEC_SIGNING_PRIVATE_KEY,CLAWSEC_SIGNING_PRIVATE_KEY_PASSPHRASE" || !u.IsSigning() || !u.Inherits {
		t.Fatalf("signing %v inherits %v", u.Signing, u.Inherits)
	}
	if got := u.Lines["CLAWSEC_SIGNING_PRIVATE_KEY"]; len(got) != 1 || got[0] != 9 {
		t.Fatalf("lines %v", u.Lines)
	}
	custom := ScanWorkflow(text, regexp.MustCompile(`^GITHUB_TOKEN$`))
	if strings.Join(custom.Signing, ",") != "GITHUB_TOKEN" {
		t.Fatalf("custom pattern: %v", custom.Signing)
	}
	if u := ScanWorkflow("jobs: {}\n", nil); u.IsSigning() || u.Inherits || len(u.Secrets) != 0 {
		t.Fatalf("empty: %+v", u)
	}
}

// TestClawSecWorkflows: of ClawSec's real workflow files, the four that use
// the signing secret — and only those — are found.
func TestClawSecWorkflows(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "vectors", "clawsec", "workflows")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	if len(files) == 0 {
		t.Skip("../shared is absent: skipping the check against ClawSec's workflows")
	}
	var signing []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if ScanWorkflow(string(b), nil).IsSigning() {
			signing = append(signing, filepath.Base(f))
		}
	}
	sort.Strings(signing)
	if got := strings.Join(signing, ","); got != "community-advisory.yml,deploy-pages.yml,poll-nvd-cves.yml,skill-release.yml" {
		t.Fatalf("signing workflows: %s", got)
	}
}

func TestSealSecretRoundTrip(t *testing.T) {
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	value := []byte("-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n")
	enc, err := SealSecret(base64.StdEncoding.EncodeToString(pub[:]), value)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(enc, "PRIVATE") {
		t.Fatal("ciphertext carries the plaintext")
	}
	got, err := OpenSecret(enc, pub, priv)
	if err != nil || string(got) != string(value) {
		t.Fatalf("open: %v %q", err, got)
	}
	other, otherPriv, _ := box.GenerateKey(rand.Reader)
	if _, err := OpenSecret(enc, other, otherPriv); err == nil {
		t.Fatal("opened with the wrong key")
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 31))} {
		if _, err := SealSecret(bad, value); err == nil {
			t.Errorf("public key %q accepted", bad)
		}
	}
}
