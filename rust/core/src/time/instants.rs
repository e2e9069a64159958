//! Instants and durations: `outreach_rules/timeline/instants.py` and the instant
//! formatting of `outreach_rules/explain.py`.

use super::zone::{civil_from_days, days_from_civil, days_in_month, DAY};
use super::Zone;
use crate::error::{CoreError, Result};
use crate::model::{Duration, Instant};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Duration {
    /// `instant` moved by this duration `times` over, calendar parts counted in `zone`.
    pub fn add_to(&self, instant: Instant, zone: &Zone, times: i64) -> Result<Instant> {
        let months = self.months.saturating_mul(times);
        let days = self.days.saturating_mul(times);
        // Days are wall days, so three days after 14:00 is 14:00 across a change of clocks.
        let moved = if months != 0 {
            let wall = zone.to_wall(instant)?;
            let (year, month, day) = civil_from_days(wall.div_euclid(DAY));
            let date = add_months(year, month, day, months)?;
            let midnight = days_from_civil(date.0, date.1, date.2) * DAY;
            zone.from_wall(
                midnight
                    .saturating_add(days.saturating_mul(DAY))
                    .saturating_add(wall.rem_euclid(DAY)),
            )?
        } else if days != 0 {
            zone.from_wall(
                zone.to_wall(instant)?
                    .saturating_add(days.saturating_mul(DAY)),
            )?
        } else {
            instant
        };
        Ok(moved.saturating_add(self.seconds.saturating_mul(times)))
    }

    pub fn is_zero(&self) -> bool {
        self.months == 0 && self.days == 0 && self.seconds == 0
    }
}

/// The date `months` later, on the same day or the month's last day (Python's `_add_months`).
fn add_months(year: i64, month: u32, day: u32, months: i64) -> Result<(i64, u32, u32)> {
    let index = year
        .checked_mul(12)
        .and_then(|index| index.checked_add(i64::from(month) - 1))
        .and_then(|index| index.checked_add(months));
    let Some(index) = index else {
        return Err(year_out_of_range(i64::MAX));
    };
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    // Python's dates stop at years 1 and 9999; past them it raises a ValueError, here a
    // TimeError (either way the instant is far outside the zone tables).
    // Python finds the month's last day from the first of the next month, which must exist.
    let next_year = if month == 12 { year + 1 } else { year };
    for probe in [year, next_year] {
        if !(1..=9_999).contains(&probe) {
            return Err(year_out_of_range(probe));
        }
    }
    Ok((year, month, day.min(days_in_month(year, month))))
}

fn year_out_of_range(year: i64) -> CoreError {
    CoreError::time(format!("year {year} is out of range"))
}

/// ISO 8601 in UTC as Python writes it: `2026-12-27T09:00:00+00:00`.
pub fn iso_utc(seconds: Instant) -> String {
    Text::iso_utc(seconds).as_str().to_owned()
}

/// ISO 8601 with the zone's offset then: `2026-12-27T04:00:00-05:00`.
pub fn iso_local(seconds: Instant, zone: &Zone) -> Result<String> {
    Ok(Text::iso_local(seconds, zone)?.as_str().to_owned())
}

/// As the customer's wall clock shows it: `Sun 27 Dec 2026 09:00`.
pub fn format_local(seconds: Instant, zone: &Zone) -> Result<String> {
    Ok(Text::local(seconds, zone)?.as_str().to_owned())
}

/// A short ASCII text built on the stack, so that instants are written without
/// allocating: the hot paths write one or more per trace step.
#[derive(Clone, Copy)]
pub struct Text {
    bytes: [u8; Text::CAPACITY],
    len: usize,
}

impl Text {
    /// Room for any instant and offset an `i64` holds (51 bytes at most).
    const CAPACITY: usize = 64;

    fn new() -> Text {
        Text {
            bytes: [0; Text::CAPACITY],
            len: 0,
        }
    }

    /// ISO 8601 in UTC, as [`iso_utc`].
    pub fn iso_utc(seconds: Instant) -> Text {
        let mut text = Text::new();
        text.naive(seconds);
        text.push_str("+00:00");
        text
    }

    /// ISO 8601 with the zone's offset, as [`iso_local`].
    pub fn iso_local(seconds: Instant, zone: &Zone) -> Result<Text> {
        let offset = zone.offset_at(seconds)?;
        let mut text = Text::new();
        text.naive(seconds.saturating_add(offset));
        text.offset(offset);
        Ok(text)
    }

    /// The customer's wall clock, as [`format_local`].
    pub fn local(seconds: Instant, zone: &Zone) -> Result<Text> {
        let wall = zone.to_wall(seconds)?;
        let (year, month, day) = civil_from_days(wall.div_euclid(DAY));
        let weekday = (wall.div_euclid(DAY) + 3).rem_euclid(7) as usize;
        let mut text = Text::new();
        text.push_str(WEEKDAYS[weekday]);
        text.push(b' ');
        if day < 10 {
            text.push(b'0' + day as u8);
        } else {
            text.two(i64::from(day));
        }
        text.push(b' ');
        text.push_str(MONTHS[(month as usize - 1) % 12]);
        text.push(b' ');
        if (1_000..10_000).contains(&year) {
            text.two(year / 100);
            text.two(year % 100);
        } else {
            text.number(year);
        }
        text.push(b' ');
        text.two(wall.rem_euclid(DAY) / 3_600);
        text.push(b':');
        text.two(wall.rem_euclid(3_600) / 60);
        Ok(text)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever pushed, so this cannot fail.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    fn push_str(&mut self, text: &str) {
        let end = self.len + text.len();
        match self.bytes.get_mut(self.len..end) {
            Some(room) => {
                room.copy_from_slice(text.as_bytes());
                self.len = end;
            }
            None => text.bytes().for_each(|byte| self.push(byte)),
        }
    }

    /// Two digits, zero-padded (`value` is 0 to 99).
    fn two(&mut self, value: i64) {
        if self.len + 2 <= Text::CAPACITY {
            put_two(&mut self.bytes, self.len, value);
            self.len += 2;
        }
    }

    /// A number as `{value}` writes it.
    fn number(&mut self, value: i64) {
        if value < 0 {
            self.push(b'-');
        }
        let mut digits = [0u8; 20];
        let mut rest = value.unsigned_abs();
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for &digit in &digits[start..] {
            self.push(digit);
        }
    }

    /// A year as `{year:04}` writes it.
    fn year(&mut self, year: i64) {
        if (0..1_000).contains(&year) {
            self.two(year / 100);
            self.two(year % 100);
        } else if year < 0 && year > -100 {
            // `{:04}` pads after the sign: -5 is `-005`.
            self.push(b'-');
            self.push(b'0');
            self.two(-year);
        } else {
            self.number(year);
        }
    }

    /// Wall seconds as Python's naive `isoformat()`: `2026-12-27T09:00:00`.
    fn naive(&mut self, wall: i64) {
        let (year, month, day) = civil_from_days(wall.div_euclid(DAY));
        let time = wall.rem_euclid(DAY);
        if (0..10_000).contains(&year) && self.len == 0 {
            // The usual case, written in place.
            self.bytes[..19].copy_from_slice(b"0000-00-00T00:00:00");
            let b = &mut self.bytes;
            put_two(b, 0, year / 100);
            put_two(b, 2, year % 100);
            put_two(b, 5, i64::from(month));
            put_two(b, 8, i64::from(day));
            put_two(b, 11, time / 3_600);
            put_two(b, 14, time % 3_600 / 60);
            put_two(b, 17, time % 60);
            self.len = 19;
            return;
        }
        self.year(year);
        self.push(b'-');
        self.two(i64::from(month));
        self.push(b'-');
        self.two(i64::from(day));
        self.push(b'T');
        self.two(time / 3_600);
        self.push(b':');
        self.two(time % 3_600 / 60);
        self.push(b':');
        self.two(time % 60);
    }

    /// A UTC offset as Python's `timezone` writes it: `-05:00`, `+00:19:32`.
    fn offset(&mut self, offset: i64) {
        self.push(if offset < 0 { b'-' } else { b'+' });
        let size = offset.unsigned_abs() as i64;
        let (hours, minutes, seconds) = (size / 3_600, size % 3_600 / 60, size % 60);
        if hours > 99 {
            self.number(hours);
        } else {
            self.two(hours);
        }
        self.push(b':');
        self.two(minutes);
        if seconds != 0 {
            self.push(b':');
            self.two(seconds);
        }
    }
}

/// `value` as `{value}` writes it, appended to `text`.
pub(crate) fn push_number(text: &mut String, value: i64) {
    let mut digits = Text::new();
    digits.number(value);
    text.push_str(digits.as_str());
}

/// The date of day number `day` as `YYYY-MM-DD`, for the years 0 to 9999.
pub(crate) fn iso_date(day: i64) -> Option<[u8; 10]> {
    let (year, month, day) = civil_from_days(day);
    if !(0..10_000).contains(&year) {
        return None;
    }
    let mut date = *b"0000-00-00";
    put_two(&mut date, 0, year / 100);
    put_two(&mut date, 2, year % 100);
    put_two(&mut date, 5, i64::from(month));
    put_two(&mut date, 8, i64::from(day));
    Some(date)
}

/// Two digits of `value` (0 to 99) at `at`.
pub(crate) fn put_two(bytes: &mut [u8], at: usize, value: i64) {
    const DIGITS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let index = (value.rem_euclid(100) * 2) as usize;
    bytes[at..at + 2].copy_from_slice(&DIGITS[index..index + 2]);
}

/// The usual forms of an ISO 8601 instant with an offset; None for anything else (the
/// caller then asks [`super::Calendars::instant`]).
pub fn parse_instant(text: &str) -> Option<Instant> {
    // `YYYY-MM-DD`, `T` or a space, `HH:MM:SS`, a fraction of 1 to 6 digits (dropped, as
    // Python floors the timestamp), then `Z`, `±HH:MM`, `±HHMM` or `±HH:MM:SS`. Other
    // forms Python takes (`t`, `,5`, `+01`, ...) vary between Python versions: left to it.
    // Python strips the text first; these are whitespace to it too.
    let text = text.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !matches!(bytes[10], b'T' | b' ') {
        return None;
    }
    let days = parse_date(&bytes[..10])?;
    let time = parse_time(&bytes[11..19])?;
    let rest = skip_fraction(&bytes[19..])?;
    let offset = parse_offset(rest)?;
    let seconds = days
        .checked_mul(DAY)?
        .checked_add(time)?
        .checked_sub(offset)?;
    // Python floors a float timestamp: past 2^33 seconds a fraction could round up.
    let fraction = bytes.len() - 19 > rest.len();
    if fraction && seconds.unsigned_abs() >= 1 << 33 {
        return None;
    }
    Some(seconds)
}

/// `YYYY-MM-DD` as days from 1970-01-01, if the date exists.
fn parse_date(bytes: &[u8]) -> Option<i64> {
    if bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = digits(&bytes[0..4])?;
    let month = digits(&bytes[5..7])? as u32;
    let day = digits(&bytes[8..10])? as u32;
    let valid = year >= 1 && day >= 1 && day <= days_in_month(year, month);
    valid.then(|| days_from_civil(year, month, day))
}

/// `HH:MM:SS` as seconds after midnight.
fn parse_time(bytes: &[u8]) -> Option<i64> {
    if bytes[2] != b':' || bytes[5] != b':' {
        return None;
    }
    clock(
        digits(&bytes[0..2])?,
        digits(&bytes[3..5])?,
        digits(&bytes[6..8])?,
    )
}

/// What follows an optional `.` and 1 to 6 digits.
fn skip_fraction(bytes: &[u8]) -> Option<&[u8]> {
    let Some(after_dot) = bytes.strip_prefix(b".") else {
        return Some(bytes);
    };
    let count = after_dot.iter().take_while(|b| b.is_ascii_digit()).count();
    (1..=6).contains(&count).then(|| &after_dot[count..])
}

/// `Z`, `±HH:MM`, `±HHMM` or `±HH:MM:SS` as seconds east of UTC.
fn parse_offset(bytes: &[u8]) -> Option<i64> {
    let (sign, body) = match bytes.split_first()? {
        (b'Z', []) => return Some(0),
        (b'+', body) => (1, body),
        (b'-', body) => (-1, body),
        _ => return None,
    };
    let size = match body.len() {
        4 => clock(digits(&body[0..2])?, digits(&body[2..4])?, 0)?,
        5 if body[2] == b':' => clock(digits(&body[0..2])?, digits(&body[3..5])?, 0)?,
        8 if body[2] == b':' && body[5] == b':' => clock(
            digits(&body[0..2])?,
            digits(&body[3..5])?,
            digits(&body[6..8])?,
        )?,
        _ => return None,
    };
    Some(sign * size)
}

/// Hours, minutes and seconds of a day as seconds, if each is in range.
fn clock(hours: i64, minutes: i64, seconds: i64) -> Option<i64> {
    (hours < 24 && minutes < 60 && seconds < 60).then_some(hours * 3_600 + minutes * 60 + seconds)
}

/// ASCII digits as a number; None if any byte is not one.
fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0_i64, |total, &byte| {
        byte.is_ascii_digit()
            .then(|| total * 10 + i64::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::zone::test_sources::TestSources;
    use crate::time::zone::wall_of_date;
    use std::sync::Arc;

    fn zone(name: &str) -> Zone {
        Zone::load(name, Arc::new(TestSources)).expect("a test zone")
    }

    fn duration(months: i64, days: i64, seconds: i64) -> Duration {
        Duration {
            months,
            days,
            seconds,
            text: String::new(),
        }
    }

    fn local(zone: &Zone, y: i32, mo: u32, d: u32, h: i64, mi: i64) -> Instant {
        let wall = wall_of_date(y, mo, d) + h * 3_600 + mi * 60;
        zone.from_wall(wall).expect("a local time")
    }

    #[test]
    fn months_clamp_to_the_end_of_the_month() {
        let eu = zone("Test/Dst");
        let jan31 = local(&eu, 2026, 1, 31, 10, 0);
        assert_eq!(
            duration(1, 0, 0).add_to(jan31, &eu, 1).ok(),
            Some(1_772_272_800)
        );
        assert_eq!(
            duration(1, 0, 0).add_to(jan31, &eu, 3).ok(),
            Some(1_777_539_600)
        );
        assert_eq!(
            duration(1, 2, 0).add_to(jan31, &eu, 1).ok(),
            Some(1_772_445_600)
        );
        let leap = local(&eu, 2024, 1, 31, 10, 0);
        assert_eq!(
            duration(1, 0, 0).add_to(leap, &eu, 1).ok(),
            Some(1_709_200_800)
        );
        let mar31 = local(&eu, 2026, 3, 31, 10, 0);
        assert_eq!(
            duration(-1, 0, 0).add_to(mar31, &eu, 1).ok(),
            Some(1_772_272_800)
        );
        let us = zone("Test/Us");
        let feb29 = local(&us, 2024, 2, 29, 23, 30);
        assert_eq!(
            duration(12, 0, 0).add_to(feb29, &us, 1).ok(),
            Some(1_740_803_400)
        );
    }

    #[test]
    fn days_are_wall_days_and_seconds_exact() {
        let eu = zone("Test/Dst");
        let before_spring = local(&eu, 2026, 3, 28, 14, 0);
        assert_eq!(
            duration(0, 1, 0).add_to(before_spring, &eu, 1).ok(),
            Some(1_774_789_200)
        );
        let into_gap = local(&eu, 2026, 3, 28, 1, 30);
        assert_eq!(
            duration(0, 1, 0).add_to(into_gap, &eu, 1).ok(),
            Some(1_774_746_000)
        );
        let jan31 = local(&eu, 2026, 1, 31, 10, 0);
        assert_eq!(
            duration(0, 0, 7_200).add_to(jan31, &eu, 3).ok(),
            Some(1_769_875_200)
        );
        let us = zone("Test/Us");
        let after_fold = local(&us, 2026, 11, 2, 1, 30);
        assert_eq!(
            duration(0, -1, -60).add_to(after_fold, &us, 1).ok(),
            Some(1_793_510_940)
        );
    }

    #[test]
    fn leaving_the_tables_is_a_time_error() {
        let utc = zone("UTC");
        let error = duration(12, 0, 0).add_to(0, &utc, 500).unwrap_err();
        assert_eq!(error.message, "is outside the years the planner handles");
        assert!(duration(i64::MAX, 0, 0).add_to(0, &utc, 2).is_err());
    }

    /// The formatting the stack texts replace, for reference.
    fn formatted_naive(wall: i64) -> String {
        let (year, month, day) = civil_from_days(wall.div_euclid(DAY));
        let time = wall.rem_euclid(DAY);
        let (hour, minute, second) = (time / 3_600, time % 3_600 / 60, time % 60);
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}")
    }

    fn formatted_local(wall: i64) -> String {
        let (year, month, day) = civil_from_days(wall.div_euclid(DAY));
        let weekday = (wall.div_euclid(DAY) + 3).rem_euclid(7) as usize;
        let (hour, minute) = (wall.rem_euclid(DAY) / 3_600, wall.rem_euclid(3_600) / 60);
        let month = MONTHS[(month as usize - 1) % 12];
        format!(
            "{} {day} {month} {year} {hour:02}:{minute:02}",
            WEEKDAYS[weekday]
        )
    }

    #[test]
    fn stack_texts_agree_with_formatting() {
        let span = (-100_000_000_000_i64..400_000_000_000).step_by(999_999_937);
        let near = (-5_000_000_i64..5_000_000).step_by(9_973);
        for seconds in span.chain(near).chain([i64::MIN / 2, -1, 0, 1]) {
            let utc = Text::iso_utc(seconds);
            assert_eq!(utc.as_str(), format!("{}+00:00", formatted_naive(seconds)));
        }
        let utc = zone("UTC");
        let (first, last) = (wall_of_date(1800, 1, 1), wall_of_date(2400, 12, 31));
        for seconds in (first..last).step_by(86_399_917) {
            let shown = Text::local(seconds, &utc).map(|t| t.as_str().to_owned());
            assert_eq!(shown.ok(), Some(formatted_local(seconds)));
        }
    }

    #[test]
    fn instants_are_written_as_python_writes_them() {
        assert_eq!(iso_utc(1_798_362_000), "2026-12-27T09:00:00+00:00");
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59+00:00");
        let cases = [
            ("UTC", "2026-12-27T09:00:00+00:00"),
            ("Test/Us", "2026-12-27T04:00:00-05:00"),
            ("Fixed/20700", "2026-12-27T14:45:00+05:45"),
            ("Fixed/1172", "2026-12-27T09:19:32+00:19:32"),
            ("Fixed/-75", "2026-12-27T08:58:45-00:01:15"),
            ("Fixed/-86399", "2026-12-26T09:00:01-23:59:59"),
        ];
        for (name, expected) in cases {
            assert_eq!(
                iso_local(1_798_362_000, &zone(name)).ok().as_deref(),
                Some(expected)
            );
        }
        let shown = format_local(1_798_362_000, &zone("UTC"));
        assert_eq!(shown.ok().as_deref(), Some("Sun 27 Dec 2026 09:00"));
        let shown = format_local(-5_000_000_000, &zone("Fixed/-75"));
        assert_eq!(shown.ok().as_deref(), Some("Tue 23 Jul 1811 15:05"));
    }

    #[test]
    fn parses_the_usual_forms() {
        let cases = [
            ("2026-12-10T14:00:00Z", 1_796_911_200),
            ("2026-12-10 14:00:00+00:00", 1_796_911_200),
            ("  2026-12-10T14:00:00.999999Z\n", 1_796_911_200),
            ("2026-12-10T14:00:00.5-05:00", 1_796_929_200),
            ("2026-12-10T14:00:00+0545", 1_796_890_500),
            ("2026-12-10T14:00:00-00:01:15", 1_796_911_275),
            ("1969-12-31T23:59:59.5Z", -1),
            ("2024-02-29T00:00:00Z", 1_709_164_800),
            ("9999-12-31T23:59:59Z", 253_402_300_799),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_instant(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn leaves_everything_else_to_python() {
        let cases = [
            "2026-12-10T14:00:00",
            "2026-12-10T14:00:00z",
            "2026-12-10t14:00:00Z",
            "2026-12-10T14:00Z",
            "2026-12-10T14:00:00+01",
            "2026-12-10T14:00:00+24:00",
            "2026-12-10T14:00:00+00:99",
            "2026-12-10T14:00:00+00:00:30.5",
            "2026-12-10T14:00:00.Z",
            "2026-12-10T14:00:00.1234567Z",
            "2026-12-10T14:00:00,5Z",
            "2026-02-29T00:00:00Z",
            "2026-12-10T24:00:00Z",
            "2026-12-10T23:59:60Z",
            "0000-01-01T00:00:00Z",
            "2026-12-10T14:00:00 +01:00",
            "20261210T140000Z",
            "2026-12-10T14:00:00\u{2212}01:00",
            "2350-01-01T00:00:00.5Z",
        ];
        for text in cases {
            assert_eq!(parse_instant(text), None, "{text}");
        }
    }
}
