//! Background jobs' rules: the kinds of job, a schedule in cron syntax read in Swedish time,
//! and how long to wait before trying a failed job again.
//!
//! The cron reader is written here rather than taken from a crate: the ones on crates.io
//! (`cron`, `croner`, `saffron`) are built on chrono and chrono-tz, while kvalitet keeps time
//! with `time` and already has Sweden's summer-time rule (`calendar::stockholm_offset`);
//! the five fields are a small grammar, and a schedule is a municipality's local time.

use time::Duration;

use crate::Message;
use crate::Timestamp;
use crate::calendar::stockholm_offset;
use crate::coded::coded_enum;

coded_enum!(
    /// What a job does. At most one job of a kind runs at a time, on any server.
    JobKind {
        /// A Kolada sync, with the arguments of `kvalitet sync`.
        Sync = "sync",
        /// Survey personal data past its retention deleted, and old finished jobs.
        Upkeep = "upkeep",
        /// The day's deadline reminders queued in the outbox.
        Reminders = "reminders",
    }
);

coded_enum!(
    /// Where a job stands.
    JobState {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
);

/// How many arguments a job carries, and how long each may be: a job is queued from a
/// configuration file or the command line, and read back from the database.
pub const MAX_ARGS: usize = 64;
pub const MAX_ARG_CHARS: usize = 500;

impl JobKind {
    /// Attempts before a failing job is given up.
    pub fn max_attempts(self) -> u32 {
        match self {
            // A sync resumes where it stopped; three tries over about an hour and a half.
            Self::Sync => 3,
            Self::Upkeep | Self::Reminders => 5,
        }
    }
}

/// The wait before attempt `attempts + 1` after `attempts` failed: 30 seconds doubled per
/// attempt, at most an hour.
pub fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(7);
    Duration::seconds((30_i64 << doublings).min(3600))
}

/// Checks a job's arguments against the bounds.
pub fn check_args(args: &[String]) -> Result<(), Message> {
    if args.len() > MAX_ARGS {
        return Err(Message::in_field(
            "args",
            Message::new("job_too_many_args").with("max", MAX_ARGS),
        ));
    }
    if let Some(long) = args.iter().find(|a| a.chars().count() > MAX_ARG_CHARS) {
        return Err(Message::in_field(
            "args",
            Message::new("too_long")
                .with("max", MAX_ARG_CHARS)
                .with("given", long.chars().count()),
        ));
    }
    Ok(())
}

/// A schedule in the five fields of cron (minute, hour, day of month, month, day of week),
/// each `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a list of those; or one of
/// `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. Read in Swedish time: "0 3 * * *"
/// is 03:00 in Stockholm, summer and winter. Like Vixie cron, when both the day of month and
/// the day of week are restricted, a day matching either runs. A time that does not exist
/// (02:30 on the last Sunday of March) is skipped that day; one that happens twice (02:30 on
/// the last Sunday of October) runs twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    text: String,
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    any_day: bool,
    any_weekday: bool,
}

/// How far ahead the next run is looked for: a schedule that matches nothing in this time
/// ("0 0 30 2 *") never runs.
const LOOK_AHEAD_DAYS: i64 = 5 * 366;

impl Cron {
    /// Reads a schedule; a problem names the field.
    pub fn parse(text: &str) -> Result<Self, Message> {
        let trimmed = text.trim();
        let expanded = match trimmed {
            "@hourly" => "0 * * * *",
            "@daily" | "@midnight" => "0 0 * * *",
            "@weekly" => "0 0 * * 0",
            "@monthly" => "0 0 1 * *",
            "@yearly" | "@annually" => "0 0 1 1 *",
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(Message::new("cron_fields").with("value", format!("{trimmed:?}")));
        }
        let field = |i: usize, name: &str, lo: u32, hi: u32| {
            bits(fields[i], lo, hi).map_err(|()| {
                Message::new("cron_field")
                    .with("field", name)
                    .with("value", format!("{:?}", fields[i]))
                    .with("lo", lo)
                    .with("hi", hi)
            })
        };
        let minutes = field(0, "minute", 0, 59)?;
        let hours = field(1, "hour", 0, 23)?;
        let days = field(2, "day", 1, 31)?;
        let months = field(3, "month", 1, 12)?;
        // 7 is Sunday as well as 0.
        let weekdays = field(4, "weekday", 0, 7)?;
        let weekdays = (weekdays | (weekdays >> 7)) & 0x7f;
        Ok(Self {
            text: trimmed.to_owned(),
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            weekdays: weekdays as u8,
            any_day: fields[2] == "*",
            any_weekday: fields[4] == "*",
        })
    }

    /// The schedule as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The first moment strictly after `after` (to the minute) that the schedule names, in
    /// Swedish time; `None` when it names none within five years.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let start = after.datetime();
        // The next whole minute.
        let mut t = start.replace_second(0).ok()?.replace_nanosecond(0).ok()? + Duration::MINUTE;
        let end = start + Duration::days(LOOK_AHEAD_DAYS);
        while t <= end {
            let local = t.to_offset(stockholm_offset(t));
            let day_matches = {
                let by_day = self.days & (1 << local.day()) != 0;
                let by_weekday =
                    self.weekdays & (1 << local.weekday().number_days_from_sunday()) != 0;
                match (self.any_day, self.any_weekday) {
                    (true, true) => true,
                    (false, true) => by_day,
                    (true, false) => by_weekday,
                    (false, false) => by_day || by_weekday,
                }
            };
            if self.months & (1 << u8::from(local.month())) == 0 || !day_matches {
                // On to the next local midnight (summer time moves it by an hour at most).
                let left = 24 * 60 - (i64::from(local.hour()) * 60 + i64::from(local.minute()));
                t += Duration::minutes(left.max(1));
                continue;
            }
            if self.hours & (1 << local.hour()) == 0 {
                t += Duration::minutes(i64::from(60 - local.minute()));
                continue;
            }
            if self.minutes & (1 << local.minute()) == 0 {
                t += Duration::MINUTE;
                continue;
            }
            return Some(Timestamp::new(t));
        }
        None
    }
}

/// One field as a bit set of the values it names, within `lo..=hi`.
fn bits(field: &str, lo: u32, hi: u32) -> Result<u64, ()> {
    let mut set = 0_u64;
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<u32>().map_err(|_| ())?),
            None => (part, 1),
        };
        if step == 0 || step > hi {
            return Err(());
        }
        let (from, to) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().map_err(|_| ())?, b.parse().map_err(|_| ())?)
        } else {
            let v: u32 = range.parse().map_err(|_| ())?;
            // "5/15" means from 5 to the end by 15, as in Vixie cron.
            (v, if part.contains('/') { hi } else { v })
        };
        if from < lo || to > hi || from > to {
            return Err(());
        }
        let mut v = from;
        while v <= to {
            set |= 1 << v;
            v += step;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn next(cron: &str, after: &str) -> String {
        Cron::parse(cron)
            .unwrap()
            .next_after(at(after))
            .map_or_else(|| "never".into(), |t| t.to_string())
    }

    #[test]
    fn a_schedule_is_read_in_swedish_time_summer_and_winter() {
        // 03:00 in Stockholm is 02:00 UTC in winter, 01:00 UTC in summer.
        assert_eq!(
            next("0 3 * * *", "2026-12-04T08:00:00Z"),
            "2026-12-05T02:00:00Z"
        );
        assert_eq!(
            next("0 3 * * *", "2026-06-04T08:00:00Z"),
            "2026-06-05T01:00:00Z"
        );
        assert_eq!(
            next("@daily", "2026-12-04T08:00:00Z"),
            "2026-12-04T23:00:00Z"
        );
    }

    #[test]
    fn steps_lists_ranges_and_weekdays() {
        assert_eq!(
            next("*/10 * * * *", "2026-12-04T08:03:10Z"),
            "2026-12-04T08:10:00Z"
        );
        // Strictly after: a moment on the schedule gives the next one.
        assert_eq!(
            next("*/10 * * * *", "2026-12-04T08:10:00Z"),
            "2026-12-04T08:20:00Z"
        );
        // Weekdays at 06:30 Swedish time: Friday 4 December, then Monday 7 December.
        assert_eq!(
            next("30 6 * * 1-5", "2026-12-04T04:00:00Z"),
            "2026-12-04T05:30:00Z"
        );
        assert_eq!(
            next("30 6 * * 1-5", "2026-12-04T06:00:00Z"),
            "2026-12-07T05:30:00Z"
        );
        // Sunday as 7.
        assert_eq!(
            next("0 12 * * 7", "2026-12-04T06:00:00Z"),
            "2026-12-06T11:00:00Z"
        );
        assert_eq!(
            next("0 0 1,15 * *", "2026-12-04T06:00:00Z"),
            "2026-12-14T23:00:00Z"
        );
        // Day of month or day of week, as in Vixie cron: the 13th or any Friday.
        assert_eq!(
            next("0 12 13 * 5", "2026-12-05T00:00:00Z"),
            "2026-12-11T11:00:00Z"
        );
        assert_eq!(next("0 0 30 2 *", "2026-12-04T06:00:00Z"), "never");
    }

    #[test]
    fn the_summer_time_changes() {
        // 02:30 does not exist on 29 March 2026: the next is 30 March at 02:30 (00:30 UTC).
        assert_eq!(
            next("30 2 * * *", "2026-03-28T12:00:00Z"),
            "2026-03-30T00:30:00Z"
        );
        // 02:30 happens twice on 25 October 2026: 00:30 and 01:30 UTC.
        assert_eq!(
            next("30 2 * * *", "2026-10-24T12:00:00Z"),
            "2026-10-25T00:30:00Z"
        );
        assert_eq!(
            next("30 2 * * *", "2026-10-25T00:30:00Z"),
            "2026-10-25T01:30:00Z"
        );
    }

    #[test]
    fn a_bad_schedule_names_its_field() {
        for (text, says) in [
            ("0 3 * *", "five fields"),
            ("61 * * * *", "minute"),
            ("0 24 * * *", "hour"),
            ("0 0 0 * *", "day"),
            ("0 0 * 13 *", "month"),
            ("0 0 * * 8", "weekday"),
            ("*/0 * * * *", "minute"),
            ("5-1 * * * *", "minute"),
            ("x * * * *", "minute"),
        ] {
            let e = Cron::parse(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn backoff_doubles_to_an_hour() {
        let secs: Vec<i64> = (1..=9).map(|a| backoff(a).whole_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }

    #[test]
    fn arguments_are_bounded() {
        assert!(check_args(&["--set".into(), "kkik".into()]).is_ok());
        assert!(check_args(&vec!["x".into(); MAX_ARGS + 1]).is_err());
        assert!(check_args(&["x".repeat(MAX_ARG_CHARS + 1)]).is_err());
    }
}
