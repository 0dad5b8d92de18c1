package incident

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads a time as responders write it:
//
//	2026-11-22T03:10:00Z, 2026-11-22T04:10:00+01:00   RFC 3339
//	2026-11-22 03:10, 2026-11-22 03:10:05              UTC
//	-90m, -2h, -1d, -1h30m                             before now
//	now
//
// Times more than MaxFuture ahead of now are refused.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("cannot read time %q (use RFC 3339, \"YYYY-MM-DD HH:MM\" in UTC, or -90m / -2h / -1d)", s)
	}
	var t time.Time
	switch {
	case s == "":
		return bad()
	case s == "now":
		t = now
	case s[0] == '-':
		d, err := parseAgo(s[1:])
		if err != nil {
			return bad()
		}
		t = now.Add(-d)
	default:
		var err error
		t, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t, err = time.Parse("2006-01-02 15:04", s)
		}
		if err != nil {
			t, err = time.Parse("2006-01-02 15:04:05", s)
		}
		if err != nil {
			t, err = time.Parse("2006-01-02T15:04", s)
		}
		if err != nil {
			return bad()
		}
	}
	if t.After(now.Add(MaxFuture)) {
		return time.Time{}, fmt.Errorf("time %q is in the future (%s UTC now)", s, now.UTC().Format("2006-01-02 15:04"))
	}
	return t.UTC(), nil
}

func parseAgo(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n <= 0 || n > 3660 {
			return 0, fmt.Errorf("bad days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad duration")
	}
	return d, nil
}

// ParseDue reads a due time, which lies ahead:
//
//	+7d, +48h, +1h30m                                  after now
//	2026-12-01, 2026-12-01 17:00, RFC 3339             (a date: its end, 23:59 UTC)
func ParseDue(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "+") {
		d, err := parseAgo(s[1:])
		if err != nil {
			return time.Time{}, fmt.Errorf("cannot read due time %q (use +7d, +48h, a date 2026-12-01, or \"YYYY-MM-DD HH:MM\" UTC)", s)
		}
		return now.Add(d).UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Add(24*time.Hour - time.Minute).UTC(), nil
	}
	t, err := ParseTime(s, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || strings.HasPrefix(s, "-") || s == "now" {
		return time.Time{}, fmt.Errorf("cannot read due time %q (use +7d, +48h, a date 2026-12-01, or \"YYYY-MM-DD HH:MM\" UTC)", s)
	}
	return t, nil
}
