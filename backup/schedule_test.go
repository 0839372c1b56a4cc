package backup

import (
	"testing"
	"time"
)

func TestNeedsCatchUp(t *testing.T) {
	t.Parallel()
	loc := chicago(t)
	nightly, err := ParseSchedule("0 2 * * *", loc)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name        string
		newest, now string // in Chicago; newest "" means no backup
		want        bool
	}{
		{"no backup at all", "", "2026-11-28 10:00:00", true},
		{"last night's ran", "2026-11-28 02:00:03", "2026-11-28 10:00:00", false},
		{"before tonight's run", "2026-11-27 02:00:03", "2026-11-28 01:59:59", false},
		{"tonight's run is due this second", "2026-11-27 02:00:03", "2026-11-28 02:00:00", true},
		{"missed last night", "2026-11-27 02:00:03", "2026-11-28 09:00:00", true},
		{"missed several nights", "2026-11-20 02:00:00", "2026-11-28 09:00:00", true},
		{"a manual backup after the run counts", "2026-11-28 05:00:00", "2026-11-28 23:00:00", false},
		{"a manual backup before the run does not", "2026-11-28 01:00:00", "2026-11-28 03:00:00", true},
		{"backup from the future (clock skew)", "2026-11-29 02:00:00", "2026-11-28 03:00:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var newest time.Time
			if tt.newest != "" {
				newest = at(tt.newest)
			}
			if got := NeedsCatchUp(newest, nightly, at(tt.now)); got != tt.want {
				t.Errorf("NeedsCatchUp(%s, now %s) = %v, want %v", tt.newest, tt.now, got, tt.want)
			}
		})
	}
}

// The schedule's times are in TIME_ZONE, not in the caller's zone: 02:00 in
// Chicago is 08:00 UTC in winter and 07:00 UTC in summer.
func TestParseScheduleUsesTimeZone(t *testing.T) {
	t.Parallel()
	s, err := ParseSchedule("0 2 * * *", chicago(t))
	if err != nil {
		t.Fatal(err)
	}
	winter := s.Next(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC); !winter.Equal(want) {
		t.Errorf("winter run at %v, want %v", winter.UTC(), want)
	}
	summer := s.Next(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 7, 1, 7, 0, 0, 0, time.UTC); !summer.Equal(want) {
		t.Errorf("summer run at %v, want %v", summer.UTC(), want)
	}
	if _, err := ParseSchedule("0 2 * *", chicago(t)); err == nil {
		t.Error("a four-field line was accepted")
	}
}
