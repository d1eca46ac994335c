//! The incremental cursor: a day (statistics buckets) or an instant (posts, comments,
//! reactions), ordered by time. State files are parsed into it when they are loaded, so
//! `2026-01-01T00:00:00Z`, `2026-01-01T00:00:00.000Z` and `2025-12-31T19:00:00-05:00` are the
//! same cursor; it is always written in one canonical form (a date, or UTC with
//! milliseconds, the form records carry).

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};

/// The years whose cursors a state file carries (written without a sign).
const STATE_YEARS: std::ops::RangeInclusive<i32> = 0..=9999;

/// A typed cursor value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cursor {
    /// A statistics bucket's first day (`YYYY-MM-DD`).
    Date(NaiveDate),
    /// A modification or creation time.
    Time(DateTime<Utc>),
}

impl Cursor {
    /// The cursor of a day, if a state can carry it: its text has no sign only for years
    /// 0000..=9999, and [`Cursor::parse`] reads no other.
    pub fn of_day(d: NaiveDate) -> Option<Cursor> {
        STATE_YEARS.contains(&d.year()).then_some(Cursor::Date(d))
    }

    /// The cursor of an instant, if a state can carry it (years 0000..=9999, as
    /// [`Cursor::of_day`]).
    pub fn of_instant(t: DateTime<Utc>) -> Option<Cursor> {
        STATE_YEARS.contains(&t.year()).then_some(Cursor::Time(t))
    }

    /// Parses a date (`YYYY-MM-DD`) or an RFC 3339 time with any offset and precision.
    pub fn parse(s: &str) -> Option<Cursor> {
        if s.len() == 10 {
            return NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(Cursor::Date);
        }
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| Cursor::Time(t.with_timezone(&Utc)))
    }

    /// The instant the cursor stands for (a date: its midnight UTC), which orders cursors.
    pub fn instant(&self) -> DateTime<Utc> {
        match self {
            Cursor::Date(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
            Cursor::Time(t) => *t,
        }
    }

    /// The day, for date cursors.
    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            Cursor::Date(d) => Some(*d),
            Cursor::Time(_) => None,
        }
    }

    /// Whether the cursor lies after `now` (a date: after today).
    pub fn is_after(&self, now: DateTime<Utc>) -> bool {
        match self {
            Cursor::Date(d) => *d > now.date_naive(),
            Cursor::Time(t) => *t > now,
        }
    }
}

impl PartialOrd for Cursor {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cursor {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.instant().cmp(&other.instant())
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cursor::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Cursor::Time(t) => f.write_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_instant_in_any_form_is_one_cursor() {
        let a = Cursor::parse("2026-01-01T00:00:00Z").unwrap();
        let b = Cursor::parse("2026-01-01T00:00:00.000Z").unwrap();
        let c = Cursor::parse("2025-12-31T19:00:00-05:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(c.to_string(), "2026-01-01T00:00:00.000Z");
        let later = Cursor::parse("2025-12-31T19:00:00.001-05:00").unwrap();
        assert!(later > a);
        // As text, the offset form would sort before the UTC one.
        assert!("2025-12-31T19:00:00.001-05:00" < "2026-01-01T00:00:00Z");
        assert_eq!(
            Cursor::parse("2026-11-10").unwrap().to_string(),
            "2026-11-10"
        );
        for bad in ["yesterday", "2026-13-01", "", "1700000000"] {
            assert!(Cursor::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn future_is_after_now() {
        let now = Cursor::parse("2026-11-20T13:45:00Z").unwrap().instant();
        assert!(Cursor::parse("2026-11-20T13:45:00.001Z")
            .unwrap()
            .is_after(now));
        assert!(!Cursor::parse("2026-11-20T13:45:00Z").unwrap().is_after(now));
        assert!(!Cursor::parse("2026-11-20").unwrap().is_after(now));
        assert!(Cursor::parse("2026-11-21").unwrap().is_after(now));
    }
}
