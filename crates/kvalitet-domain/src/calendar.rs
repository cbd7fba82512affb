//! The Swedish working-day calendar and Swedish time: public holidays (Easter, Midsummer and
//! All Saints' from their rules), the eves counted as non-working (Midsummer Eve, Christmas
//! Eve, New Year's Eve), weekends, and the Europe/Stockholm offset with its summer time.
//! Used to tell whether an e-mail was answered within one or two working days.

use std::collections::BTreeSet;

use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, UtcOffset, Weekday};

/// Easter Sunday of a year (the Gregorian computus, "anonymous" algorithm).
pub fn easter_sunday(year: i32) -> Date {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let month = if month == 3 {
        Month::March
    } else {
        Month::April
    };
    // The computus always gives a day in March or April.
    Date::from_calendar_date(year, month, day as u8).unwrap_or(Date::MIN)
}

fn date(year: i32, month: Month, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, month, day).ok()
}

/// The first `weekday` on or after `from`.
fn first_on_or_after(from: Date, weekday: Weekday) -> Date {
    let mut d = from;
    while d.weekday() != weekday {
        d = d.next_day().unwrap_or(d);
    }
    d
}

/// The days that are not working days in a year besides weekends, with their Swedish names:
/// the public holidays of the Act (1989:253) and the eves that are in practice closed.
pub fn non_working_days(year: i32) -> Vec<(Date, &'static str)> {
    let easter = easter_sunday(year);
    let midsummer_eve = date(year, Month::June, 19).map(|d| first_on_or_after(d, Weekday::Friday));
    let all_saints =
        date(year, Month::October, 31).map(|d| first_on_or_after(d, Weekday::Saturday));
    let mut days: Vec<(Option<Date>, &'static str)> = vec![
        (date(year, Month::January, 1), "Nyårsdagen"),
        (date(year, Month::January, 6), "Trettondedag jul"),
        (Some(easter - Duration::days(2)), "Långfredagen"),
        (Some(easter - Duration::days(1)), "Påskafton"),
        (Some(easter), "Påskdagen"),
        (Some(easter + Duration::days(1)), "Annandag påsk"),
        (date(year, Month::May, 1), "Första maj"),
        (Some(easter + Duration::days(39)), "Kristi himmelsfärds dag"),
        (Some(easter + Duration::days(49)), "Pingstdagen"),
        (date(year, Month::June, 6), "Sveriges nationaldag"),
        (midsummer_eve, "Midsommarafton"),
        (
            midsummer_eve.map(|d| d + Duration::days(1)),
            "Midsommardagen",
        ),
        (all_saints, "Alla helgons dag"),
        (date(year, Month::December, 24), "Julafton"),
        (date(year, Month::December, 25), "Juldagen"),
        (date(year, Month::December, 26), "Annandag jul"),
        (date(year, Month::December, 31), "Nyårsafton"),
    ];
    days.sort_by_key(|(d, _)| *d);
    days.into_iter()
        .filter_map(|(d, n)| d.map(|d| (d, n)))
        .collect()
}

/// Whether a Monday to Friday is one of [`non_working_days`], by the same rules but without
/// listing the year (this is asked for every day an e-mail waits).
fn is_non_working_weekday(d: Date) -> bool {
    use Month::{December, January, June, May};
    match (d.month(), d.day()) {
        (January, 1 | 6) | (May, 1) | (June, 6) | (December, 24..=26 | 31) => return true,
        // Midsummer Eve: the Friday from 19 to 25 June.
        (June, 19..=25) if d.weekday() == Weekday::Friday => return true,
        _ => {}
    }
    let easter = easter_sunday(d.year());
    // Good Friday, Easter Monday and Ascension Day fall on weekdays; the rest on weekends.
    [-2, 1, 39]
        .iter()
        .any(|offset| easter + Duration::days(*offset) == d)
}

/// Which days are working days: Monday to Friday except the days of [`non_working_days`],
/// and any further days a round closes (e.g. a municipality's klämdagar).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    pub extra_closed: BTreeSet<Date>,
}

impl Calendar {
    pub fn is_working_day(&self, d: Date) -> bool {
        !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !self.extra_closed.contains(&d)
            && !is_non_working_weekday(d)
    }

    fn next_working_day(&self, d: Date) -> Date {
        let mut d = d;
        loop {
            match d.next_day() {
                Some(n) => d = n,
                None => return d,
            }
            if self.is_working_day(d) {
                return d;
            }
        }
    }

    /// The day on which `n` working days (at least 1) have passed since `start`, counted as
    /// [`Calendar::working_days_taken`] counts them: the `n`th working day after it.
    pub fn working_day_after(&self, start: Date, n: i64) -> Date {
        let mut d = if self.is_working_day(start) {
            start
        } else {
            self.next_working_day(start)
        };
        for _ in 0..n.max(1) {
            d = self.next_working_day(d);
        }
        d
    }

    /// How many working days it took from sending on `sent` to answering on `answered`
    /// (Swedish dates): the working days after the sending day up to and including the
    /// answering day. A question sent on a non-working day counts as sent on the next working
    /// day. An answer the same day, or before the next working day begins, took 0 days;
    /// "within one working day" is 1 or fewer, "within two" 2 or fewer.
    pub fn working_days_taken(&self, sent: Date, answered: Date) -> i64 {
        let start = if self.is_working_day(sent) {
            sent
        } else {
            self.next_working_day(sent)
        };
        let mut n = 0;
        let mut d = start;
        while d < answered {
            match d.next_day() {
                Some(next) => d = next,
                None => break,
            }
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

/// Last Sunday of a month at 01:00 UTC: when EU summer time starts (March) or ends (October).
fn last_sunday_0100_utc(year: i32, month: Month) -> Option<OffsetDateTime> {
    let next_month_first = match month {
        Month::December => date(year + 1, Month::January, 1),
        m => date(year, m.next(), 1),
    }?;
    let mut d = next_month_first.previous_day()?;
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day()?;
    }
    Some(
        PrimitiveDateTime::new(d, time::Time::from_hms(1, 0, 0).ok()?)
            .assume_offset(UtcOffset::UTC),
    )
}

/// The offset of Swedish time at an instant: +02:00 in summer time (from the last Sunday of
/// March 01:00 UTC to the last Sunday of October 01:00 UTC, the EU rule in force since 1996),
/// +01:00 otherwise.
pub fn stockholm_offset(t: OffsetDateTime) -> UtcOffset {
    let year = t.to_offset(UtcOffset::UTC).year();
    let summer = match (
        last_sunday_0100_utc(year, Month::March),
        last_sunday_0100_utc(year, Month::October),
    ) {
        (Some(start), Some(end)) => t >= start && t < end,
        _ => false,
    };
    UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The Swedish calendar date of an instant.
pub fn stockholm_date(t: OffsetDateTime) -> Date {
    t.to_offset(stockholm_offset(t)).date()
}

/// An ISO date (2026-12-15), refused with the text typed.
pub fn parse_date(text: &str) -> Result<Date, crate::Message> {
    Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| crate::Message::new("not_a_date").with("value", format!("{text:?}")))
}

/// A round's deadline as typed: empty for none, else an ISO date (2026-12-15).
pub fn parse_deadline(text: &str) -> Result<Option<Date>, crate::Message> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_date(text).map(Some)
}

/// Reads an instant that must name its time zone: RFC 3339 with `Z` or an offset
/// (`2026-03-02T09:15:00+01:00`). A time without a zone is refused: it could be either of two
/// instants around a clock change, or in another zone altogether.
pub fn parse_instant(text: &str) -> Result<OffsetDateTime, crate::Message> {
    let text = text.trim();
    let with_t = if text.len() > 10 && text.as_bytes().get(10) == Some(&b' ') {
        format!("{}T{}", &text[..10], &text[11..])
    } else {
        text.to_owned()
    };
    match OffsetDateTime::parse(&with_t, &Rfc3339) {
        Ok(t) => Ok(t),
        Err(_) => {
            let has_zone = with_t.ends_with('Z')
                || with_t.ends_with('z')
                || with_t
                    .get(with_t.len().saturating_sub(6)..)
                    .is_some_and(|tail| tail.starts_with('+') || tail.starts_with('-'));
            if has_zone {
                Err(crate::Message::new("not_an_instant").with("value", format!("{text:?}")))
            } else {
                Err(crate::Message::new("no_time_zone").with("value", format!("{text:?}")))
            }
        }
    }
}

/// Reads a Swedish wall-clock time as a phone's form gives it (`2026-03-02T09:15`). A time
/// that does not exist (skipped when summer time starts) is refused; one that occurs twice
/// (when it ends) is taken as the first, in summer time.
pub fn parse_swedish_local(text: &str) -> Result<OffsetDateTime, crate::Message> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let format_secs =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let text = text.trim();
    let local = PrimitiveDateTime::parse(text, &format)
        .or_else(|_| PrimitiveDateTime::parse(text, &format_secs))
        .map_err(|_| crate::Message::new("not_a_local_time").with("value", format!("{text:?}")))?;
    for hours in [2, 1] {
        let offset = UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC);
        let t = local.assume_offset(offset);
        if stockholm_offset(t) == offset {
            return Ok(t);
        }
    }
    Err(crate::Message::new("time_does_not_exist").with("value", format!("{text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn easter_and_the_moving_holidays_follow_their_rules() {
        assert_eq!(easter_sunday(2024), date!(2024 - 03 - 31));
        assert_eq!(easter_sunday(2025), date!(2025 - 04 - 20));
        assert_eq!(easter_sunday(2026), date!(2026 - 04 - 05));
        assert_eq!(
            easter_sunday(2038),
            date!(2038 - 04 - 25),
            "the latest possible"
        );
        assert_eq!(
            easter_sunday(2285),
            date!(2285 - 03 - 22),
            "the earliest possible"
        );
        let days = non_working_days(2026);
        let on = |name: &str| days.iter().find(|(_, n)| *n == name).unwrap().0;
        assert_eq!(on("Långfredagen"), date!(2026 - 04 - 03));
        assert_eq!(on("Annandag påsk"), date!(2026 - 04 - 06));
        assert_eq!(on("Kristi himmelsfärds dag"), date!(2026 - 05 - 14));
        assert_eq!(on("Midsommarafton"), date!(2026 - 06 - 19));
        assert_eq!(on("Alla helgons dag"), date!(2026 - 10 - 31));
        assert_eq!(
            non_working_days(2025)
                .iter()
                .find(|(_, n)| *n == "Midsommarafton")
                .unwrap()
                .0,
            date!(2025 - 06 - 20)
        );
    }

    #[test]
    fn the_quick_check_agrees_with_the_list_for_every_day_of_a_century() {
        let c = Calendar::default();
        let mut d = date!(2000 - 01 - 01);
        while d < date!(2100 - 01 - 01) {
            let weekend = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
            let listed = non_working_days(d.year()).iter().any(|(h, _)| *h == d);
            assert_eq!(c.is_working_day(d), !weekend && !listed, "{d}");
            d = d.next_day().unwrap();
        }
    }

    #[test]
    fn working_days_around_easter_midsummer_christmas_and_new_year() {
        let c = Calendar::default();
        // Sent Thursday before Easter 2026; Good Friday and Easter Monday are closed.
        assert_eq!(
            c.working_days_taken(date!(2026 - 04 - 02), date!(2026 - 04 - 06)),
            0
        );
        assert_eq!(
            c.working_days_taken(date!(2026 - 04 - 02), date!(2026 - 04 - 07)),
            1
        );
        assert_eq!(
            c.working_days_taken(date!(2026 - 04 - 02), date!(2026 - 04 - 08)),
            2
        );
        // Midsummer Eve 2026 is Friday 19 June: Thursday to Monday is one working day.
        assert_eq!(
            c.working_days_taken(date!(2026 - 06 - 18), date!(2026 - 06 - 22)),
            1
        );
        // Christmas 2026: 24, 25 (Fri) closed, weekend, 28 open; sent the 23rd.
        assert_eq!(
            c.working_days_taken(date!(2026 - 12 - 23), date!(2026 - 12 - 28)),
            1
        );
        // New Year: sent 30 Dec 2026 (Wed); 31 Dec and 1 Jan closed; answered Mon 4 Jan 2027.
        assert_eq!(
            c.working_days_taken(date!(2026 - 12 - 30), date!(2027 - 01 - 04)),
            1
        );
        assert_eq!(
            c.working_days_taken(date!(2026 - 12 - 30), date!(2027 - 01 - 05)),
            2
        );
        // Sent on a Saturday: the clock starts on Monday.
        assert_eq!(
            c.working_days_taken(date!(2026 - 03 - 07), date!(2026 - 03 - 09)),
            0
        );
        assert_eq!(
            c.working_days_taken(date!(2026 - 03 - 07), date!(2026 - 03 - 10)),
            1
        );
        // Same day, and a plain week.
        assert_eq!(
            c.working_days_taken(date!(2026 - 03 - 02), date!(2026 - 03 - 02)),
            0
        );
        assert_eq!(
            c.working_days_taken(date!(2026 - 03 - 02), date!(2026 - 03 - 04)),
            2
        );
        // A municipality's extra closed day counts too.
        let mut k = Calendar::default();
        k.extra_closed.insert(date!(2026 - 05 - 15));
        assert_eq!(
            k.working_days_taken(date!(2026 - 05 - 13), date!(2026 - 05 - 18)),
            1
        );
        assert_eq!(
            c.working_days_taken(date!(2026 - 05 - 13), date!(2026 - 05 - 18)),
            2
        );
    }

    #[test]
    fn swedish_time_follows_summer_time_both_ways() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        let hour = UtcOffset::from_hms(1, 0, 0).unwrap();
        let two = UtcOffset::from_hms(2, 0, 0).unwrap();
        assert_eq!(stockholm_offset(datetime!(2026-03-29 00:59 UTC)), hour);
        assert_eq!(stockholm_offset(datetime!(2026-03-29 01:00 UTC)), two);
        assert_eq!(stockholm_offset(datetime!(2026-10-25 00:59 UTC)), two);
        assert_eq!(stockholm_offset(datetime!(2026-10-25 01:00 UTC)), hour);
        // 23:30 UTC on 31 Dec is already New Year's Day in Sweden.
        assert_eq!(
            stockholm_date(datetime!(2026-12-31 23:30 UTC)),
            date!(2027 - 01 - 01)
        );
        // 22:30 UTC in June is 00:30 the next day in Swedish summer time.
        assert_eq!(
            stockholm_date(datetime!(2026-06-18 22:30 UTC)),
            date!(2026 - 06 - 19)
        );

        assert_eq!(
            parse_swedish_local("2026-03-29T01:30").unwrap(),
            datetime!(2026-03-29 01:30 +01:00)
        );
        assert!(
            parse_swedish_local("2026-03-29T02:30")
                .unwrap_err()
                .to_string()
                .contains("does not exist")
        );
        assert_eq!(
            parse_swedish_local("2026-03-29T03:30").unwrap(),
            datetime!(2026-03-29 03:30 +02:00)
        );
        assert_eq!(
            parse_swedish_local("2026-10-25T02:30").unwrap(),
            datetime!(2026-10-25 02:30 +02:00),
            "the first of the two"
        );
    }

    #[test]
    fn instants_must_name_their_zone() {
        assert_eq!(
            parse_instant("2026-03-02T09:15:00+01:00").unwrap(),
            datetime!(2026-03-02 08:15 UTC)
        );
        assert_eq!(
            parse_instant("2026-03-02 08:15:00Z").unwrap(),
            datetime!(2026-03-02 08:15 UTC)
        );
        assert!(
            parse_instant("2026-03-02T09:15:00")
                .unwrap_err()
                .to_string()
                .contains("no time zone")
        );
        assert!(
            parse_instant("2026-03-02 09:15")
                .unwrap_err()
                .to_string()
                .contains("no time zone")
        );
        assert!(
            parse_instant("igår")
                .unwrap_err()
                .to_string()
                .contains("no time zone")
        );
        assert!(
            parse_instant("2026-13-02T09:15:00+01:00")
                .unwrap_err()
                .to_string()
                .contains("is not a time")
        );
    }
}
