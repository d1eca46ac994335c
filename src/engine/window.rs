//! Time windows of the time-bound statistics: which days a request covers, clamped the
//! way LinkedIn requires, and which buckets are complete.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};

use crate::config::Granularity;
use crate::domain::Cursor;
use crate::streams::{TimeBound, Window};

/// The first midnight (UTC) after `now`: when LinkedIn's daily quota resets.
pub(super) fn next_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    (now.date_naive() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now)
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day0(0).unwrap_or(d)
}

/// The bucket after the one starting at `d`.
fn bucket_after(d: NaiveDate, g: Granularity) -> NaiveDate {
    match g {
        Granularity::DAY => d + Duration::days(1),
        Granularity::MONTH => month_start(d)
            .checked_add_months(Months::new(1))
            .unwrap_or(d),
    }
}

/// Whether the bucket starting at `d` ends within `window` (a month still in progress
/// does not, and must not advance the bookmark).
/// How many buckets (days or months) `window` covers: the rows a time-bound statistics
/// request returns per organization, the stream's ESTIMATE.
pub(super) fn buckets(window: &Window) -> u64 {
    let mut n = 0;
    let mut d = window.start;
    while d < window.end {
        n += 1;
        d = bucket_after(d, window.granularity);
    }
    n
}

pub(super) fn complete(d: NaiveDate, window: &Window) -> bool {
    bucket_after(d, window.granularity) <= window.end
}

/// The window `[start, end)` of a time-bound request, clamped the way LinkedIn requires:
/// no earlier than 12 months ago (minus a day of safety) or `start_date`, starting from
/// the bookmark minus the lookback, ending after the last day whose data is final. `None`
/// when there is nothing new to read.
pub(super) fn window(
    tb: TimeBound,
    g: Granularity,
    bookmark: Option<Cursor>,
    start_date: Option<NaiveDate>,
    lookback_days: u32,
    now: DateTime<Utc>,
) -> Option<Window> {
    let today = now.date_naive();
    let last_day = today - Duration::days(tb.lag_days);
    let end = last_day + Duration::days(1);
    let retention = today - Duration::days(364);
    let mut start = start_date.map_or(retention, |s| s.max(retention));
    if let Some(b) = bookmark.and_then(|b| b.date()) {
        let next = bucket_after(b, g) - Duration::days(i64::from(lookback_days));
        start = start.max(next);
    }
    if g == Granularity::MONTH {
        start = month_start(start).max(retention);
    }
    (start <= last_day).then_some(Window {
        start,
        end,
        granularity: g,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T13:45:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }
    fn c(s: &str) -> Option<Cursor> {
        Cursor::parse(s)
    }
    fn w(start: &str, end: &str, g: Granularity) -> Option<Window> {
        Some(Window {
            start: d(start),
            end: d(end),
            granularity: g,
        })
    }
    const FOLLOW: TimeBound = TimeBound { lag_days: 2 };

    #[test]
    fn buckets_count_days_or_months() {
        let w = |s: &str, e: &str, granularity| Window {
            start: d(s),
            end: d(e),
            granularity,
        };
        assert_eq!(
            buckets(&w("2026-11-01", "2026-11-19", Granularity::DAY)),
            18
        );
        assert_eq!(
            buckets(&w("2026-01-01", "2026-11-19", Granularity::MONTH)),
            11
        );
    }

    #[test]
    fn windows_are_clamped_and_aligned() {
        // First sync: 12 months back (minus a safety day) to the last final day.
        assert_eq!(
            window(FOLLOW, Granularity::DAY, None, None, 0, now()),
            w("2025-11-21", "2026-11-19", Granularity::DAY)
        );
        // start_date wins when later; never before the retention limit.
        assert_eq!(
            window(
                FOLLOW,
                Granularity::DAY,
                None,
                Some(d("2026-06-01")),
                0,
                now()
            )
            .unwrap()
            .start,
            d("2026-06-01")
        );
        assert_eq!(
            window(
                FOLLOW,
                Granularity::DAY,
                None,
                Some(d("2020-01-01")),
                0,
                now()
            )
            .unwrap()
            .start,
            d("2025-11-21")
        );
        // Resume the day after the bookmark, minus the lookback.
        assert_eq!(
            window(FOLLOW, Granularity::DAY, c("2026-11-10"), None, 0, now())
                .unwrap()
                .start,
            d("2026-11-11")
        );
        assert_eq!(
            window(FOLLOW, Granularity::DAY, c("2026-11-10"), None, 3, now())
                .unwrap()
                .start,
            d("2026-11-08")
        );
        // Nothing new: a second sync the same day makes no request (the Python connector fails here).
        assert_eq!(
            window(FOLLOW, Granularity::DAY, c("2026-11-18"), None, 0, now()),
            None
        );
        // MONTH starts on a month boundary (or the retention limit).
        assert_eq!(
            window(FOLLOW, Granularity::MONTH, c("2026-09-01"), None, 0, now())
                .unwrap()
                .start,
            d("2026-10-01")
        );
        assert_eq!(
            window(FOLLOW, Granularity::MONTH, None, None, 0, now())
                .unwrap()
                .start,
            d("2025-11-21")
        );
    }
}
