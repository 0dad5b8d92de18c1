// Package severity holds the two severity scales firebreak shows side by
// side: the WSC runbook's Critical/High/Medium/Low, with response times, and
// ClawSec's SEV-1/2/3.
//
// One level is stored (the WSC one, which carries a response time); the
// ClawSec level is derived from it:
//
//	Critical  SEV-1  immediate   active compromise, key leaked / key exfiltration confirmed, malicious payload published
//	High      SEV-2  < 4 hours   suspected compromise / verification failures with unknown cause
//	Medium    SEV-3  < 24 hours  vulnerability discovered, no active compromise
//	Low       SEV-3  < 1 week    policy violation / procedural non-compliance
//
// A level given as SEV-3 is taken as Medium, the stricter of the two levels
// it covers, so its deadline is never later than the runbooks allow.
package severity

import (
	"fmt"
	"strings"
	"time"
)

// Level is a WSC severity level. The zero value is not a level.
type Level int

// The levels, most severe first.
const (
	Critical Level = iota + 1
	High
	Medium
	Low
)

// Levels lists every level, most severe first.
var Levels = []Level{Critical, High, Medium, Low}

// String is the WSC name: Critical, High, Medium, Low.
func (l Level) String() string {
	switch l {
	case Critical:
		return "Critical"
	case High:
		return "High"
	case Medium:
		return "Medium"
	case Low:
		return "Low"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// SEV is the ClawSec name: SEV-1, SEV-2 or SEV-3.
func (l Level) SEV() string {
	switch l {
	case Critical:
		return "SEV-1"
	case High:
		return "SEV-2"
	case Medium, Low:
		return "SEV-3"
	}
	return "SEV-?"
}

// Both is the level on both scales: "Critical / SEV-1".
func (l Level) Both() string { return l.String() + " / " + l.SEV() }

// Response is the WSC response time: 0 for Critical (immediate).
func (l Level) Response() time.Duration {
	switch l {
	case High:
		return 4 * time.Hour
	case Medium:
		return 24 * time.Hour
	case Low:
		return 7 * 24 * time.Hour
	}
	return 0
}

// ResponseText is the response time as the runbook writes it.
func (l Level) ResponseText() string {
	switch l {
	case Critical:
		return "immediate"
	case High:
		return "< 4 hours"
	case Medium:
		return "< 24 hours"
	case Low:
		return "< 1 week"
	}
	return "?"
}

// Description is the runbooks' description of the level.
func (l Level) Description() string {
	switch l {
	case Critical:
		return "active compromise, key leaked (SEV-1: key exfiltration confirmed or maliciously signed payload published)"
	case High:
		return "suspected compromise (SEV-2: verification failures with unknown cause)"
	case Medium:
		return "vulnerability discovered, e.g. a new CVE in a dependency (SEV-3: no active compromise)"
	case Low:
		return "policy violation, e.g. key file permission issues (SEV-3: procedural non-compliance)"
	}
	return ""
}

// Deadline is when the response is due for an incident opened at opened.
func (l Level) Deadline(opened time.Time) time.Time { return opened.Add(l.Response()) }

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool { return l >= Critical && l <= Low }

// Parse reads a level on either scale, case-insensitively: critical, high,
// medium, low, sev-1, sev1, sev 1, 1, 2, 3 (SEV numbers).
func Parse(s string) (Level, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.NewReplacer(" ", "", "-", "", "_", "").Replace(k)
	switch k {
	case "critical", "crit":
		return Critical, nil
	case "high":
		return High, nil
	case "medium", "med":
		return Medium, nil
	case "low":
		return Low, nil
	case "sev1", "1":
		return Critical, nil
	case "sev2", "2":
		return High, nil
	case "sev3", "3":
		return Medium, nil
	}
	return 0, fmt.Errorf("unknown severity %q (use Critical, High, Medium, Low or SEV-1, SEV-2, SEV-3)", s)
}

// MarshalText writes the WSC name.
func (l Level) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("invalid severity %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText reads either scale.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
