//! Rules on the local calendar: `outreach_rules/timeline/calendar.py`.
//!
//! A wall rule knows nothing of zones: it reads wall seconds (see [`super::zone`]).

use super::zone::{civil_from_days, days_from_civil, days_in_month, DAY};
use super::Calendars;
use crate::error::{CoreError, ErrorKind, Result};
use crate::policy::HourSpan;

/// How far a date rule looks ahead before it calls a calendar closed for good.
pub const HORIZON_DAYS: i64 = 3_660;

/// Which local dates and times are allowed, in wall seconds; it borrows what the
/// policy and the customer say.
#[derive(Debug, Clone, Copy)]
pub enum WallRule<'a> {
    /// The union of the spans.
    Hours(&'a [HourSpan]),
    /// The weekdays (bit d for weekday d), less the public holidays of the country and
    /// subdivision when given.
    BusinessDays {
        weekdays: u8,
        country: Option<(&'a str, Option<&'a str>)>,
    },
    /// Month-day from `start` to `end`, both included, every year; `inside` allows only
    /// the window, otherwise the window is blocked.
    AnnualWindow {
        start: (u32, u32),
        end: (u32, u32),
        inside: bool,
    },
}

impl WallRule<'_> {
    /// Whether the local time `wall` is allowed.
    pub fn allows(&self, wall: i64, calendars: &Calendars) -> Result<bool> {
        match self {
            WallRule::Hours(spans) => Ok(hours_allow(spans, wall)),
            WallRule::BusinessDays { weekdays, country } => {
                business_day(*weekdays, *country, wall.div_euclid(DAY), calendars)
            }
            WallRule::AnnualWindow { start, end, inside } => {
                Ok(window_contains(*start, *end, date_of_day(wall.div_euclid(DAY))) == *inside)
            }
        }
    }

    /// The least allowed local time at or after `wall`, or None if there is none.
    pub fn next_wall(&self, wall: i64, calendars: &Calendars) -> Result<Option<i64>> {
        match self {
            WallRule::Hours(spans) => Ok(hours_next(spans, wall)),
            WallRule::BusinessDays { weekdays, country } => {
                business_next(*weekdays, *country, wall, calendars)
            }
            WallRule::AnnualWindow { start, end, inside } => {
                window_next(*start, *end, *inside, wall)
            }
        }
    }
}

fn span_has_day(span: &HourSpan, weekday: i64) -> bool {
    span.days.iter().any(|&day| i64::from(day) == weekday)
}

fn hours_allow(spans: &[HourSpan], wall: i64) -> bool {
    let (weekday, time) = (
        (wall.div_euclid(DAY) + 3).rem_euclid(7),
        wall.rem_euclid(DAY),
    );
    spans
        .iter()
        .any(|s| span_has_day(s, weekday) && s.start <= time && time < s.end)
}

fn hours_next(spans: &[HourSpan], wall: i64) -> Option<i64> {
    let (day, time) = (wall.div_euclid(DAY), wall.rem_euclid(DAY));
    (0..8).find_map(|ahead| {
        let weekday = (day + ahead + 3).rem_euclid(7);
        let floor = if ahead == 0 { time } else { 0 };
        let earliest = spans
            .iter()
            .filter(|s| span_has_day(s, weekday) && floor < s.end)
            .map(|s| s.start.max(floor))
            .min()?;
        Some(((day + ahead).saturating_mul(DAY)).saturating_add(earliest))
    })
}

fn business_next(
    weekdays: u8,
    country: Option<(&str, Option<&str>)>,
    wall: i64,
    calendars: &Calendars,
) -> Result<Option<i64>> {
    let day = wall.div_euclid(DAY);
    if business_day(weekdays, country, day, calendars)? {
        return Ok(Some(wall));
    }
    for ahead in 1..HORIZON_DAYS {
        if business_day(weekdays, country, day + ahead, calendars)? {
            return Ok(Some((day + ahead).saturating_mul(DAY)));
        }
    }
    Ok(None)
}

/// Whether day number `day` is one of the weekdays and no public holiday.
fn business_day(
    weekdays: u8,
    country: Option<(&str, Option<&str>)>,
    day: i64,
    calendars: &Calendars,
) -> Result<bool> {
    let weekday = (day + 3).rem_euclid(7);
    if weekdays & (1 << weekday) == 0 {
        return Ok(false);
    }
    let Some((country, subdivision)) = country else {
        return Ok(true);
    };
    let year = civil_from_days(day).0 as i32;
    Ok(!calendars.is_holiday(country, subdivision, year, day)?)
}

/// A proleptic Gregorian date; ordered as dates are.
type Date = (i64, u32, u32);

fn date_of_day(day: i64) -> Date {
    civil_from_days(day)
}

fn day_of_date((year, month, day): Date) -> i64 {
    days_from_civil(year, month, day)
}

fn window_contains(start: (u32, u32), end: (u32, u32), (_, month, day): Date) -> bool {
    let day = (month, day);
    if start <= end {
        start <= day && day <= end
    } else {
        day >= start || day <= end
    }
}

fn window_next(start: (u32, u32), end: (u32, u32), inside: bool, wall: i64) -> Result<Option<i64>> {
    let mut day = wall.div_euclid(DAY);
    if window_contains(start, end, date_of_day(day)) == inside {
        return Ok(Some(wall));
    }
    // The day a window opens (or after it closes) may still not be allowed: a window of
    // February 29 alone is empty in a common year, and a closed window that fills the
    // year starts again the day after it ends. Look on, as far as the next leap year.
    for _ in 0..9 {
        day = if inside {
            next_on_or_after(day, start, false)?
        } else {
            next_on_or_after(day, end, true)? + 1
        };
        if window_contains(start, end, date_of_day(day)) == inside {
            return Ok(Some(day.saturating_mul(DAY)));
        }
        day += 1;
    }
    Ok(None)
}

/// The next day on or after `day` with that month and day.
fn next_on_or_after(day: i64, (month, month_day): (u32, u32), roll_back: bool) -> Result<i64> {
    // February 29 in a common year stands for February 28 as a window's last day
    // (`roll_back`) and for March 1 as its first.
    let year = date_of_day(day).0;
    for year in year..year + 5 {
        let found = if month_day >= 1 && month_day <= days_in_month(year, month) {
            (year, month, month_day)
        } else if roll_back {
            (year, 2, 28)
        } else {
            (year, 3, 1)
        };
        let found = day_of_date(found);
        if found >= day {
            return Ok(found);
        }
    }
    Err(CoreError::new(
        ErrorKind::Engine,
        "a month and day recur within five years",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::zone::test_sources::calendars;
    use crate::time::zone::wall_of_date;

    fn wall(y: i32, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
        wall_of_date(y, mo, d) + h * 3_600 + mi * 60
    }

    fn span(days: &[u8], start: i64, end: i64) -> HourSpan {
        HourSpan {
            days: days.to_vec(),
            start,
            end,
        }
    }

    fn next(rule: &WallRule, wall: i64) -> Option<i64> {
        rule.next_wall(wall, &calendars()).expect("no source error")
    }

    #[test]
    fn hours_find_the_next_span() {
        let spans = [
            span(&[0, 1, 2, 3, 4], 9 * 3_600, 17 * 3_600),
            span(&[5], 10 * 3_600, 12 * 3_600),
        ];
        let rule = WallRule::Hours(&spans);
        assert_eq!(next(&rule, wall(2026, 12, 25, 18, 0)), Some(1_798_279_200));
        assert_eq!(next(&rule, wall(2026, 12, 26, 12, 0)), Some(1_798_448_400));
        assert_eq!(next(&rule, wall(2026, 12, 27, 23, 0)), Some(1_798_448_400));
        let open = wall(2026, 12, 23, 10, 30);
        assert_eq!(next(&rule, open), Some(open));
        assert_eq!(rule.allows(open, &calendars()).ok(), Some(true));
        assert_eq!(
            rule.allows(wall(2026, 12, 23, 17, 0), &calendars()).ok(),
            Some(false)
        );
        assert_eq!(next(&WallRule::Hours(&[span(&[], 0, 3_600)]), open), None);
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let gb = |subdivision: Option<&'static str>| WallRule::BusinessDays {
            weekdays: 0b1_1111,
            country: Some(("GB", subdivision)),
        };
        assert_eq!(
            next(&gb(None), wall(2026, 12, 25, 12, 0)),
            Some(wall(2026, 12, 28, 0, 0))
        );
        assert_eq!(
            next(&gb(None), wall(2025, 12, 31, 15, 0)),
            Some(wall(2025, 12, 31, 15, 0))
        );
        assert_eq!(
            next(&gb(None), wall(2026, 1, 1, 15, 0)),
            Some(wall(2026, 1, 2, 0, 0))
        );
        assert_eq!(
            next(&gb(Some("SCT")), wall(2026, 1, 1, 15, 0)),
            Some(wall(2026, 1, 5, 0, 0))
        );
        let any_country = WallRule::BusinessDays {
            weekdays: 0b1_1111,
            country: None,
        };
        assert_eq!(
            next(&any_country, wall(2026, 1, 1, 15, 0)),
            Some(wall(2026, 1, 1, 15, 0))
        );
        let closed = WallRule::BusinessDays {
            weekdays: 0,
            country: None,
        };
        assert_eq!(next(&closed, 0), None);
        let unknown = WallRule::BusinessDays {
            weekdays: 0b1_1111,
            country: Some(("ZZ", None)),
        };
        assert!(unknown.next_wall(0, &calendars()).is_err());
    }

    #[test]
    fn annual_windows_handle_february_29() {
        let window = |start, end, inside| WallRule::AnnualWindow { start, end, inside };
        let cases = [
            (
                (2, 29),
                (2, 29),
                true,
                wall(2026, 1, 1, 0, 0),
                Some(1_835_395_200),
            ),
            (
                (12, 20),
                (1, 6),
                false,
                wall(2026, 12, 25, 9, 0),
                Some(1_799_280_000),
            ),
            (
                (3, 1),
                (2, 28),
                false,
                wall(2026, 5, 1, 0, 0),
                Some(1_835_395_200),
            ),
            ((2, 29), (2, 28), false, wall(2026, 5, 1, 0, 0), None),
            (
                (2, 28),
                (2, 29),
                true,
                wall(2027, 3, 1, 0, 0),
                Some(1_835_308_800),
            ),
            ((3, 1), (2, 29), false, wall(2025, 6, 1, 0, 0), None),
            (
                (2, 29),
                (3, 1),
                false,
                wall(2027, 2, 28, 0, 0),
                Some(1_803_772_800),
            ),
        ];
        for (start, end, inside, from, expected) in cases {
            assert_eq!(
                next(&window(start, end, inside), from),
                expected,
                "{start:?} {end:?}"
            );
        }
        let blackout = window((12, 20), (1, 6), false);
        assert_eq!(
            blackout.allows(wall(2027, 1, 6, 23, 0), &calendars()).ok(),
            Some(false)
        );
        assert_eq!(
            blackout.allows(wall(2027, 1, 7, 0, 0), &calendars()).ok(),
            Some(true)
        );
    }
}
