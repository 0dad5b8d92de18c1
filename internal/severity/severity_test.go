package severity

import (
	"testing"
	"time"
)

func TestParseBothScales(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Level
	}{
		{"Critical", Critical}, {"critical", Critical}, {"SEV-1", Critical}, {"sev1", Critical}, {"1", Critical},
		{"High", High}, {"SEV-2", High}, {"sev 2", High},
		{"medium", Medium}, {"SEV-3", Medium}, {"low", Low}, {"LOW", Low},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "sev-4", "severe", "0", "4"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestScalesAndDeadlines(t *testing.T) {
	opened := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		l        Level
		both     string
		deadline time.Time
	}{
		{Critical, "Critical / SEV-1", opened},
		{High, "High / SEV-2", opened.Add(4 * time.Hour)},
		{Medium, "Medium / SEV-3", opened.Add(24 * time.Hour)},
		{Low, "Low / SEV-3", opened.Add(7 * 24 * time.Hour)},
	} {
		if tc.l.Both() != tc.both || !tc.l.Deadline(opened).Equal(tc.deadline) {
			t.Errorf("%v: %q %v", tc.l, tc.l.Both(), tc.l.Deadline(opened))
		}
		b, _ := tc.l.MarshalText()
		var back Level
		if err := back.UnmarshalText(b); err != nil || back != tc.l {
			t.Errorf("text round trip of %v: %v", tc.l, err)
		}
	}
}
