package actions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// DefaultRotation is the routine rotation cadence of the ClawSec runbook:
// every 90 days (or a stricter policy).
const DefaultRotation = 90 * 24 * time.Hour

// KeyAge says how long a signing key has been in service against the
// rotation cadence: the verification fails when a rotation is due. It
// reads only the key's public half and its file's time; it changes
// nothing.
type KeyAge struct {
	Path   string        // the key file, public or private
	Since  time.Time     // when it went into service; zero: the file's modification time
	MaxAge time.Duration // the cadence; zero is DefaultRotation
	Now    func() time.Time

	res KeyAgeResult
}

// KeyAgeResult is the result of key.age.
type KeyAgeResult struct {
	V             int       `json:"v,omitempty"`
	Path          string    `json:"path"`
	Fingerprint   string    `json:"fingerprint,omitempty"`
	Since         time.Time `json:"since"`
	SinceFrom     string    `json:"since_from"` // "given" or "file time"
	AgeSeconds    int64     `json:"age_seconds"`
	MaxAgeSeconds int64     `json:"max_age_seconds"`
	Due           bool      `json:"rotation_due"`
}

func (k *KeyAge) maxAge() time.Duration {
	if k.MaxAge > 0 {
		return k.MaxAge
	}
	return DefaultRotation
}

func (k *KeyAge) Plan(context.Context) (*Plan, error) {
	return &Plan{Action: NameKeyAge, Summary: fmt.Sprintf("check how long %s has been in service against the %s rotation cadence (changes nothing)", k.Path, incident.FormatSpan(k.maxAge()))}, nil
}

func (k *KeyAge) Execute(context.Context, func(Progress)) (*Result, error) {
	fi, err := os.Stat(k.Path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", k.Path)
	}
	r := KeyAgeResult{V: RecordVersion, Path: k.Path, Since: k.Since, SinceFrom: "given", MaxAgeSeconds: int64(k.maxAge() / time.Second)}
	if r.Since.IsZero() {
		r.Since, r.SinceFrom = fi.ModTime().UTC(), "file time"
	}
	// The fingerprint names the key; an encrypted private key is still
	// timed, without one.
	pub, err := signing.LoadPublicKey(k.Path, nil)
	switch {
	case err == nil:
		r.Fingerprint = signing.Fingerprint(pub)
	case !errors.Is(err, signing.ErrEncrypted):
		return nil, err
	}
	age := k.Now().Sub(r.Since)
	if age < 0 {
		return nil, fmt.Errorf("%s went into service in the future (%s)", k.Path, r.Since.Format(time.RFC3339))
	}
	r.AgeSeconds, r.Due = int64(age/time.Second), age > k.maxAge()
	k.res = r
	verdict := "within the cadence"
	if r.Due {
		verdict = "ROTATION DUE"
	}
	return &Result{Summary: fmt.Sprintf("%s in service %s (since %s, %s): %s", k.Path, incident.FormatSpan(age), r.Since.Format("2006-01-02"), r.SinceFrom, verdict), Data: r}, nil
}

func (k *KeyAge) Verify(context.Context, *Result) (*Verification, error) {
	age := time.Duration(k.res.AgeSeconds) * time.Second
	detail := fmt.Sprintf("in service since %s (%s)", k.res.Since.Format(time.RFC3339), k.res.SinceFrom)
	if k.res.Due {
		detail += "; rotation was due on " + k.res.Since.Add(k.maxAge()).Format("2006-01-02")
	}
	return &Verification{Checks: []Check{{
		What:   fmt.Sprintf("key in service %s, the rotation cadence is %s", incident.FormatSpan(age), incident.FormatSpan(k.maxAge())),
		OK:     !k.res.Due,
		Detail: detail,
	}}}, nil
}
