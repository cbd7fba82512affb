//! A moment, in UTC to the second: when something was imported, decided, registered or
//! changed. Stored and sent as RFC 3339 (`2026-11-22T10:00:00Z`), shown by its date; never a
//! string sliced by position. "Now" comes from the app's `Clock` port, so tests can fix it.

use std::fmt;

use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A moment in UTC, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

/// A text that is not an RFC 3339 moment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a moment in RFC 3339 form (2026-11-22T10:00:00Z)")]
pub struct TimestampError(pub String);

impl Timestamp {
    /// The moment `t`, in UTC, to the second.
    pub fn new(t: OffsetDateTime) -> Self {
        let utc = t.to_offset(time::UtcOffset::UTC);
        Self(utc.replace_nanosecond(0).unwrap_or(utc))
    }

    /// Reads RFC 3339 (any offset; kept in UTC).
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        OffsetDateTime::parse(text, &Rfc3339)
            .map(Self::new)
            .map_err(|_| TimestampError(text.to_owned()))
    }

    pub fn datetime(self) -> OffsetDateTime {
        self.0
    }

    /// The day, in UTC.
    pub fn date(self) -> time::Date {
        self.0.date()
    }

    /// The day as `2026-11-22`, as pages show when something happened.
    pub fn date_text(self) -> String {
        let d = self.0.date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// The moment on Swedish clocks (Europe/Stockholm): UTC+1, and UTC+2 from the last
    /// Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, the EU's summer time
    /// that Sweden has kept since 1996. Written out here rather than taken from a time-zone
    /// database: it is one fixed rule, and the pages need only Sweden's clock.
    pub fn in_sweden(self) -> OffsetDateTime {
        let utc = self.0.to_offset(time::UtcOffset::UTC);
        let last_sunday = |month| {
            time::Date::from_calendar_date(utc.year(), month, 31)
                .map(|last| {
                    let back = i64::from(last.weekday().number_days_from_sunday());
                    last - time::Duration::days(back)
                })
                .map(|day| day.with_hms(1, 0, 0).map(|t| t.assume_utc()))
        };
        let summer = match (
            last_sunday(time::Month::March),
            last_sunday(time::Month::October),
        ) {
            (Ok(Ok(start)), Ok(Ok(end))) => utc >= start && utc < end,
            _ => false,
        };
        let hours = if summer { 2 } else { 1 };
        time::UtcOffset::from_hms(hours, 0, 0).map_or(utc, |offset| utc.to_offset(offset))
    }

    /// The moment as staff pages show it: the date and the 24-hour clock in Swedish time,
    /// "2026-12-01 04:36" (the ISO date, as Swedish usage writes it).
    pub fn local_text(self) -> String {
        let t = self.in_sweden();
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    }

    /// The day of the moment in Swedish time, as an ISO date ("2026-12-01"): what a date
    /// input sends and a plan's day is written as.
    pub fn local_date_text(self) -> String {
        let d = self.in_sweden().date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// The moment `d` later (or earlier, for a negative duration).
    pub fn plus(self, d: time::Duration) -> Self {
        Self::new(self.0 + d)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_and_write_as_rfc_3339_in_utc() {
        let t = Timestamp::parse("2026-11-22T11:30:05.25+01:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-22T10:30:05Z");
        assert_eq!(t.date_text(), "2026-11-22");
        // Winter: UTC+1; summer from the last Sunday of March 01:00 UTC (2026-03-29) to the
        // last Sunday of October 01:00 UTC (2026-10-25): UTC+2.
        let at = |text: &str| Timestamp::parse(text).unwrap().local_text();
        assert_eq!(at("2026-12-01T03:36:12Z"), "2026-12-01 04:36");
        assert_eq!(at("2026-03-29T00:59:00Z"), "2026-03-29 01:59");
        assert_eq!(at("2026-03-29T01:00:00Z"), "2026-03-29 03:00");
        assert_eq!(at("2026-07-01T22:30:00Z"), "2026-07-02 00:30");
        assert_eq!(at("2026-10-25T00:59:00Z"), "2026-10-25 02:59");
        assert_eq!(at("2026-10-25T01:00:00Z"), "2026-10-25 02:00");
        assert_eq!(Timestamp::parse(&t.to_string()), Ok(t));
        assert_eq!(
            t.plus(time::Duration::days(10)).to_string(),
            "2026-12-02T10:30:05Z"
        );
        assert!(Timestamp::parse("2026-11-22").is_err());
        assert!(Timestamp::parse("igår").is_err());
    }
}
