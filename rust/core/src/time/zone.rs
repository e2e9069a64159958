//! Time zones as tables of UTC offsets, year by year: `outreach_rules/timeline/zone.py`.
//!
//! Wall seconds are the local date and time of an instant written as if it were UTC
//! (`wall = instant + offset`). A local time skipped when clocks spring forward resolves
//! to the moment the clocks jump; one repeated when they fall back, to its first pass.
//!
//! Python keeps the last segment found in the zone (`_last`), so what `segment` says of
//! an instant may depend on earlier look-ups; here a segment is always worked out from
//! the instant's year, as a fresh Python `Zone` does. Both give the same offsets and
//! the same `from_wall` answers.

use super::{Sources, YearTable};
use crate::error::{CoreError, ErrorKind, Result};
use crate::model::Instant;
use std::cell::Cell;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

pub const DAY: i64 = 86_400;

/// How far from `w` any instant whose local time is `w` lies: offsets stay within
/// -12:00 and +14:00, local mean times a few minutes more.
pub const OFFSET_REACH: i64 = 26 * 3_600;
/// The first year of the zone tables.
pub const FIRST_YEAR: i32 = 1_800;
/// The last year of the zone tables.
pub const LAST_YEAR: i32 = 2_400;

const YEAR_COUNT: usize = (LAST_YEAR - FIRST_YEAR + 2) as usize;

/// The first second (UTC) of each year from `FIRST_YEAR` to `LAST_YEAR + 1`.
const YEAR_STARTS: [i64; YEAR_COUNT] = year_starts();

const fn year_starts() -> [i64; YEAR_COUNT] {
    let mut starts = [0; YEAR_COUNT];
    let mut index = 0;
    while index < YEAR_COUNT {
        starts[index] = days_from_civil(FIRST_YEAR as i64 + index as i64, 1, 1) * DAY;
        index += 1;
    }
    starts
}

/// The first second (UTC) of `year`, for years `FIRST_YEAR..=LAST_YEAR + 1`.
pub fn year_start(year: i32) -> Option<Instant> {
    let index = usize::try_from(i64::from(year) - i64::from(FIRST_YEAR)).ok()?;
    YEAR_STARTS.get(index).copied()
}

/// A year's offsets, checked: `starts[0]` is the year's first second, starts increase.
#[derive(Debug)]
struct Table {
    starts: Box<[Instant]>,
    offsets: Box<[i64]>,
    /// The bounds of the stretch each offset belongs to (see `Zone::stretch`), worked
    /// out on first use: they may take a look at the years either side.
    stretches: Box<[OnceLock<(Instant, Instant)>]>,
}

impl Table {
    fn checked(raw: YearTable, zone: &str, year: i32) -> Result<Table> {
        let first = year_start(year);
        let next = year_start(year.saturating_add(1));
        let fits = raw.starts.len() == raw.offsets.len()
            && raw.starts.first().copied() == first
            && raw.starts.windows(2).all(|pair| pair[0] < pair[1])
            && matches!((raw.starts.last(), next), (Some(&last), Some(next)) if last < next);
        if !fits {
            return Err(CoreError::new(
                ErrorKind::Engine,
                format!("zone {zone}: the offsets given for {year} are not a table of that year"),
            ));
        }
        Ok(Table {
            stretches: raw.starts.iter().map(|_| OnceLock::new()).collect(),
            starts: raw.starts.into_boxed_slice(),
            offsets: raw.offsets.into_boxed_slice(),
        })
    }

    /// The index of the last start at or before `instant` (at least 0).
    fn index_of(&self, instant: Instant) -> usize {
        self.starts
            .partition_point(|&start| start <= instant)
            .saturating_sub(1)
    }

    fn first_offset(&self) -> i64 {
        self.offsets.first().copied().unwrap_or(0)
    }

    fn last_offset(&self) -> i64 {
        self.offsets.last().copied().unwrap_or(0)
    }

    fn last_start(&self) -> Instant {
        self.starts.last().copied().unwrap_or(0)
    }
}

/// A stretch of constant offset: `[start, end)` at `offset`.
#[derive(Debug, Clone, Copy)]
struct Stretch {
    start: Instant,
    end: Instant,
    offset: i64,
}

/// An IANA zone with its offsets tabulated year by year, on first use.
pub struct Zone {
    name: String,
    /// Tells this zone's stretches from another's in `LAST_STRETCH`.
    id: u64,
    sources: Arc<dyn Sources>,
    /// One slot per year from `FIRST_YEAR`, filled once and then read without locks.
    years: Box<[OnceLock<Table>]>,
}

/// The ids of zones, one each.
static ZONE_IDS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The last stretch this thread found, with its zone's id: a customer's instants
    /// fall in one or two stretches, so most look-ups end here. Any stretch that holds
    /// an instant serves as well as the one worked out from its year: the offset is
    /// constant on it, which is all `from_wall` and `Operator::LocalTime` rely on.
    static LAST_STRETCH: Cell<(u64, Stretch)> = const {
        Cell::new((u64::MAX, Stretch { start: 0, end: 0, offset: 0 }))
    };
}

impl Zone {
    /// Load `name`, checking that the source knows it.
    pub fn load(name: &str, sources: Arc<dyn Sources>) -> Result<Zone> {
        let years = (FIRST_YEAR..=LAST_YEAR).map(|_| OnceLock::new()).collect();
        let zone = Zone {
            name: name.to_owned(),
            id: ZONE_IDS.fetch_add(1, Ordering::Relaxed),
            sources,
            years,
        };
        zone.table(1970)?;
        Ok(zone)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The UTC offset in seconds in force at `instant`.
    pub fn offset_at(&self, instant: Instant) -> Result<i64> {
        if let Some(last) = self.last_stretch(instant) {
            return Ok(last.offset);
        }
        let table = self.table(year_of(instant)?)?;
        Ok(table.offsets[table.index_of(instant)])
    }

    /// The local date and time of `instant` as wall seconds.
    pub fn to_wall(&self, instant: Instant) -> Result<i64> {
        Ok(instant.saturating_add(self.offset_at(instant)?))
    }

    /// The offset at `instant` and the first instant after it where it may change (or a new year).
    pub fn segment(&self, instant: Instant) -> Result<(i64, Instant)> {
        let stretch = self.stretch(instant)?;
        Ok((stretch.offset, stretch.end))
    }

    /// The earliest instant whose local time is `wall` or, in a gap, just after it.
    pub fn from_wall(&self, wall: i64) -> Result<Instant> {
        let Stretch { start, end, offset } = self.stretch(wall)?;
        let guess = wall.saturating_sub(offset);
        // Far from any change of offset (most of the time), the answer is one shift away.
        if start.saturating_add(OFFSET_REACH) <= guess && guess.saturating_add(OFFSET_REACH) < end {
            return Ok(guess);
        }
        self.wall_near_change(wall)
    }

    /// The half-open stretches of instants whose local date is `day` (days since
    /// 1970-01-01, `wall.div_euclid(DAY)`), in order.
    ///
    /// Mostly one stretch, from one local midnight to the next. Where clocks fall back
    /// across midnight the day comes back for a while after the next one has begun (in
    /// America/St_Johns on 7 November 2010, Sunday 00:00-00:01, then Saturday
    /// 23:01-23:59 again), so the day is two stretches. A day the clocks skip has none.
    pub fn day_spans(&self, day: i64) -> Result<Vec<(Instant, Instant)>> {
        let first = day.saturating_mul(DAY);
        let last = first.saturating_add(DAY);
        let mut spans: Vec<(Instant, Instant)> = Vec::with_capacity(1);
        let mut t = first.saturating_sub(OFFSET_REACH);
        while t < last.saturating_add(OFFSET_REACH) {
            let (offset, end) = self.segment(t)?;
            let low = t.max(first.saturating_sub(offset));
            let high = end.min(last.saturating_sub(offset));
            if low < high {
                match spans.last_mut() {
                    Some(span) if span.1 == low => span.1 = high,
                    _ => spans.push((low, high)),
                }
            }
            t = end;
        }
        Ok(spans)
    }

    /// The instants in `(start, end]` where the offset changes, with the new offset.
    pub fn transitions(&self, start: Instant, end: Instant) -> Result<Vec<(Instant, i64)>> {
        let mut found = Vec::new();
        self.each_change(start, end, |moment, _, after| {
            found.push((moment, after));
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(found)
    }

    /// The stretch this thread found last, if it is of this zone and holds `instant`.
    fn last_stretch(&self, instant: Instant) -> Option<Stretch> {
        let (zone, last) = LAST_STRETCH.get();
        (zone == self.id && last.start <= instant && instant < last.end).then_some(last)
    }

    fn stretch(&self, instant: Instant) -> Result<Stretch> {
        if let Some(last) = self.last_stretch(instant) {
            return Ok(last);
        }
        let stretch = self.stretch_of_year(instant)?;
        LAST_STRETCH.set((self.id, stretch));
        Ok(stretch)
    }

    /// The stretch that holds `instant`, worked out from the instant's year.
    fn stretch_of_year(&self, instant: Instant) -> Result<Stretch> {
        let year = year_of(instant)?;
        let table = self.table(year)?;
        let index = table.index_of(instant);
        let offset = table.offsets[index];
        let known = &table.stretches[index];
        if let Some(&(start, end)) = known.get() {
            return Ok(Stretch { start, end, offset });
        }
        let mut start = table.starts[index];
        let end = match table.starts.get(index + 1) {
            Some(&next) => next,
            None => self.end_after(year, offset)?,
        };
        if index == 0 && year > FIRST_YEAR {
            let before = self.table(year - 1)?;
            if before.last_offset() == offset {
                // Winter spans the new year: one segment, so a customer's instants stay in it.
                start = before.last_start();
            }
        }
        // The same bounds are found every time: keep them (an error above is not kept).
        let _ = known.set((start, end));
        Ok(Stretch { start, end, offset })
    }

    /// Where `offset`, in force at the end of `year`, ends in the year after.
    fn end_after(&self, year: i32, offset: i64) -> Result<Instant> {
        let boundary = year_start(year + 1).unwrap_or(Instant::MAX);
        if year + 1 > LAST_YEAR {
            return Ok(boundary);
        }
        let next = self.table(year + 1)?;
        if next.first_offset() != offset {
            return Ok(boundary);
        }
        Ok(match next.starts.get(1) {
            Some(&start) => start,
            None => year_start(year + 2).unwrap_or(Instant::MAX),
        })
    }

    /// `from_wall` near a change of offset, worked out exactly.
    fn wall_near_change(&self, wall: i64) -> Result<Instant> {
        let low = wall.saturating_sub(OFFSET_REACH);
        let high = wall.saturating_add(OFFSET_REACH);
        let first_offset = self.offset_at(low)?;
        year_of(high)?;
        let mut earliest = self.occurrence(wall, first_offset)?;
        self.each_change(low, high, |_, _, after| {
            if let Some(found) = self.occurrence(wall, after)? {
                earliest = Some(earliest.map_or(found, |known| known.min(found)));
            }
            Ok(ControlFlow::Continue(()))
        })?;
        if let Some(found) = earliest {
            return Ok(found);
        }
        let skipped = self.each_change(low, high, |moment, before, after| {
            let within =
                moment.saturating_add(before) <= wall && wall < moment.saturating_add(after);
            Ok(if within {
                ControlFlow::Break(moment)
            } else {
                ControlFlow::Continue(())
            })
        })?;
        skipped.ok_or_else(|| {
            CoreError::new(
                ErrorKind::Engine,
                format!("{}: no instant found for wall time {wall}", self.name),
            )
        })
    }

    /// `wall - offset` if the offset there is `offset`.
    fn occurrence(&self, wall: i64, offset: i64) -> Result<Option<Instant>> {
        let candidate = wall.saturating_sub(offset);
        Ok((self.offset_at(candidate)? == offset).then_some(candidate))
    }

    /// Visit each change of offset in `(start, end]` in order, as (moment, before, after).
    fn each_change(
        &self,
        start: Instant,
        end: Instant,
        mut visit: impl FnMut(Instant, i64, i64) -> Result<ControlFlow<Instant>>,
    ) -> Result<Option<Instant>> {
        let (first, last) = (year_of(start)?, year_of(end)?);
        for year in first..=last {
            let table = self.table(year)?;
            let mut previous = if year > FIRST_YEAR {
                self.table(year - 1)?.last_offset()
            } else {
                table.first_offset()
            };
            for (&moment, &offset) in table.starts.iter().zip(table.offsets.iter()) {
                if start < moment && moment <= end && offset != previous {
                    if let ControlFlow::Break(found) = visit(moment, previous, offset)? {
                        return Ok(Some(found));
                    }
                }
                previous = offset;
            }
        }
        Ok(None)
    }

    /// The table of `year`, asked of the source on first use.
    #[inline]
    fn table(&self, year: i32) -> Result<&Table> {
        let slot = usize::try_from(year - FIRST_YEAR)
            .ok()
            .and_then(|index| self.years.get(index))
            .ok_or_else(|| out_of_range(year_start(year).unwrap_or(Instant::MAX)))?;
        match slot.get() {
            Some(table) => Ok(table),
            None => self.load_year(slot, year),
        }
    }

    /// The table of `year` from the source, kept in `slot`.
    #[cold]
    fn load_year<'z>(&self, slot: &'z OnceLock<Table>, year: i32) -> Result<&'z Table> {
        let table = Table::checked(self.sources.zone_year(&self.name, year)?, &self.name, year)?;
        // Two threads may both ask the source; the first answer is kept, and they agree.
        Ok(slot.get_or_init(|| table))
    }
}

/// The error of an instant outside the years the zone tables cover.
pub fn out_of_range(instant: Instant) -> CoreError {
    CoreError::time("is outside the years the planner handles")
        .field("instant")
        .value(instant)
        .hint(format!(
            "instants must fall between {FIRST_YEAR} and {LAST_YEAR}"
        ))
}

/// The year (UTC) of `instant`, within `FIRST_YEAR..=LAST_YEAR`.
pub fn year_of(instant: Instant) -> Result<i32> {
    if !(YEAR_STARTS[0]..YEAR_STARTS[YEAR_COUNT - 1]).contains(&instant) {
        return Err(out_of_range(instant));
    }
    // The average Gregorian year finds the year or its neighbour; the table settles it.
    const AVERAGE_YEAR: i64 = 31_556_952;
    let mut index = (((instant - YEAR_STARTS[0]) / AVERAGE_YEAR) as usize).min(YEAR_COUNT - 2);
    while index > 0 && YEAR_STARTS[index] > instant {
        index -= 1;
    }
    while index + 2 < YEAR_COUNT && YEAR_STARTS[index + 1] <= instant {
        index += 1;
    }
    Ok(FIRST_YEAR + index as i32)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's `days_from_civil`).
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = month as i64;
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a count of days from 1970-01-01.
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    if -NEAR_DAYS < days && days < NEAR_DAYS {
        return near_civil_from_days(days);
    }
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

/// Within this many days of 1970 (about 27,000 years), `near_civil_from_days` holds.
const NEAR_DAYS: i64 = 10_000_000;

/// `civil_from_days` in unsigned 32-bit arithmetic, with multiplications in place of
/// most divisions: Neri and Schneider, "Euclidean affine functions and their
/// application to calendar algorithms" (2022). Dates are where the time goes in
/// writing instants.
const fn near_civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shifted by 82 eras of 400 years, so that every day in range counts up from 0
    // (0000-03-01 less those eras).
    const ERAS: u32 = 82;
    const SHIFT: i64 = 719_468 + 146_097 * ERAS as i64;
    let n = (days + SHIFT) as u32;
    let n1 = 4 * n + 3;
    let century = n1 / 146_097;
    let in_century = n1 % 146_097 / 4;
    let n2 = 4 * in_century + 3;
    let p2 = 2_939_745 * n2 as u64;
    let year_in_century = (p2 >> 32) as u32;
    let day_of_year = (p2 as u32) / 2_939_745 / 4;
    let n3 = 2_141 * day_of_year + 197_913;
    let month = n3 >> 16;
    let day = (n3 & 0xffff) / 2_141 + 1;
    // Years start on March 1: January and February belong to the next civil year.
    let january = day_of_year >= 306;
    let year = (100 * century + year_in_century) as i64 - 400 * ERAS as i64 + january as i64;
    let month = if january { month - 12 } else { month };
    (year, month, day)
}

/// Whether `year` has a February 29.
pub const fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in a month; 0 for a month that is not 1 to 12.
pub const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The civil date (year, month, day) of wall seconds.
pub fn date_of_wall(wall: i64) -> (i32, u32, u32) {
    let (year, month, day) = civil_from_days(wall.div_euclid(DAY));
    (year as i32, month, day)
}

/// The wall seconds of midnight at the start of a civil date.
pub fn wall_of_date(year: i32, month: u32, day: u32) -> i64 {
    days_from_civil(i64::from(year), month, day) * DAY
}

/// Monday is 0 and Sunday is 6.
pub fn weekday_of_wall(wall: i64) -> u32 {
    (wall.div_euclid(DAY) + 3).rem_euclid(7) as u32
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Zone({:?})", self.name)
    }
}

/// Zones and holidays made up for tests, by rule.
#[cfg(test)]
pub(crate) mod test_sources {
    use super::{days_from_civil, days_in_month, year_start, DAY};
    use crate::error::{CoreError, Result};
    use crate::model::Instant;
    use crate::time::{Calendars, Sources, YearTable};
    use std::sync::Arc;

    /// `UTC`; `Test/Dst`, clocks as in the EU (0, +1:00 from the last Sunday of March to
    /// the last Sunday of October, at 01:00 UTC); `Test/Us`, as in New York since 2007;
    /// `Test/StJohns`, Newfoundland as from 2007 to 2010 (-3:30, and -2:30 from the second
    /// Sunday of March to the first Sunday of November, clocks changed at 00:01 local);
    /// `Fixed/<seconds>`, a constant offset. Holidays of `GB` (with `SCT`, also 2 Jan).
    pub(crate) struct TestSources;

    pub(crate) fn calendars() -> Calendars {
        Calendars::new(Arc::new(TestSources))
    }

    fn weekday(day: i64) -> i64 {
        (day + 3).rem_euclid(7)
    }

    fn last_sunday(year: i64, month: u32) -> i64 {
        let last = days_from_civil(year, month, days_in_month(year, month));
        last - (weekday(last) - 6).rem_euclid(7)
    }

    fn nth_sunday(year: i64, month: u32, n: i64) -> i64 {
        let first = days_from_civil(year, month, 1);
        first + (6 - weekday(first)).rem_euclid(7) + 7 * (n - 1)
    }

    fn table(starts: Vec<Instant>, offsets: Vec<i64>) -> Result<YearTable> {
        Ok(YearTable { starts, offsets })
    }

    impl Sources for TestSources {
        fn zone_year(&self, zone: &str, year: i32) -> Result<YearTable> {
            let first = year_start(year).ok_or_else(|| CoreError::time("no such year"))?;
            let y = i64::from(year);
            match zone {
                "UTC" => table(vec![first], vec![0]),
                "Test/Dst" => table(
                    vec![
                        first,
                        last_sunday(y, 3) * DAY + 3_600,
                        last_sunday(y, 10) * DAY + 3_600,
                    ],
                    vec![0, 3_600, 0],
                ),
                "Test/Us" => table(
                    vec![
                        first,
                        nth_sunday(y, 3, 2) * DAY + 7 * 3_600,
                        nth_sunday(y, 11, 1) * DAY + 6 * 3_600,
                    ],
                    vec![-18_000, -14_400, -18_000],
                ),
                "Test/StJohns" => table(
                    vec![
                        first,
                        nth_sunday(y, 3, 2) * DAY + 3 * 3_600 + 31 * 60,
                        nth_sunday(y, 11, 1) * DAY + 2 * 3_600 + 31 * 60,
                    ],
                    vec![-12_600, -9_000, -12_600],
                ),
                _ => match zone.strip_prefix("Fixed/").map(str::parse::<i64>) {
                    Some(Ok(offset)) => table(vec![first], vec![offset]),
                    _ => Err(CoreError::time("is not a known time zone")
                        .field("timezone")
                        .value(zone)),
                },
            }
        }

        fn holidays(
            &self,
            country: &str,
            subdivision: Option<&str>,
            year: i32,
        ) -> Result<Vec<i64>> {
            let y = i64::from(year);
            let mut days = match country {
                "GB" => vec![(1, 1), (12, 25), (12, 26)],
                _ => return Err(CoreError::input("has no public-holiday calendar")),
            };
            if subdivision == Some("SCT") {
                days.push((1, 2));
            }
            Ok(days
                .into_iter()
                .map(|(m, d)| days_from_civil(y, m, d))
                .collect())
        }

        fn instant(&self, text: &str, field: &str) -> Result<Instant> {
            Err(CoreError::time("is not an ISO 8601 instant")
                .field(field)
                .value(text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_sources::TestSources;
    use super::*;
    use crate::error::ErrorKind;

    fn zone(name: &str) -> Zone {
        Zone::load(name, Arc::new(TestSources)).expect("a test zone")
    }

    fn wall(y: i32, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
        wall_of_date(y, mo, d) + h * 3_600 + mi * 60
    }

    #[test]
    fn dates_and_walls_round_trip() {
        assert_eq!(wall_of_date(1970, 1, 1), 0);
        assert_eq!(date_of_wall(-1), (1969, 12, 31));
        assert_eq!(date_of_wall(wall(2024, 2, 29, 23, 59)), (2024, 2, 29));
        assert_eq!(wall_of_date(1800, 1, 1), -5_364_662_400);
        assert_eq!(year_start(2401), Some(13_601_088_000));
        assert_eq!(weekday_of_wall(wall(2026, 12, 27, 9, 0)), 6);
        for day in (-700_000..700_000).step_by(997) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        // Near 1970 a faster way is taken: it agrees with the general one.
        let general = |day: i64| civil_from_days(day + 146_097 * 100_000);
        for day in (-NEAR_DAYS + 1..NEAR_DAYS)
            .step_by(7_919)
            .chain(-800_000..800_000)
        {
            let (y, m, d) = civil_from_days(day);
            let (gy, gm, gd) = general(day);
            assert_eq!((y + 400 * 100_000, m, d), (gy, gm, gd), "{day}");
        }
    }

    #[test]
    fn year_of_finds_the_year_and_refuses_others() {
        assert_eq!(year_of(-5_364_662_400).ok(), Some(1800));
        assert_eq!(year_of(13_601_087_999).ok(), Some(2400));
        assert_eq!(year_of(wall(2026, 12, 31, 23, 59)).ok(), Some(2026));
        let error = year_of(13_601_088_000).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Time);
        assert_eq!(error.message, "is outside the years the planner handles");
        assert_eq!(error.field.as_deref(), Some("instant"));
        assert_eq!(error.value, Some(13_601_088_000_i64.into()));
        assert_eq!(
            error.hint.as_deref(),
            Some("instants must fall between 1800 and 2400")
        );
        assert!(zone("UTC").offset_at(-5_364_662_401).is_err());
    }

    #[test]
    fn from_wall_resolves_gaps_to_the_jump_and_folds_to_the_first_pass() {
        let eu = zone("Test/Dst");
        assert_eq!(
            eu.from_wall(wall(2026, 3, 29, 1, 30)).ok(),
            Some(1_774_746_000)
        );
        assert_eq!(
            eu.from_wall(wall(2026, 3, 29, 2, 0)).ok(),
            Some(1_774_746_000)
        );
        assert_eq!(
            eu.from_wall(wall(2026, 10, 25, 1, 30)).ok(),
            Some(1_792_888_200)
        );
        assert_eq!(
            eu.from_wall(wall(2026, 7, 1, 12, 0)).ok(),
            Some(1_782_903_600)
        );
        let us = zone("Test/Us");
        assert_eq!(
            us.from_wall(wall(2026, 3, 8, 2, 30)).ok(),
            Some(1_772_953_200)
        );
        assert_eq!(
            us.from_wall(wall(2026, 11, 1, 1, 30)).ok(),
            Some(1_793_511_000)
        );
        assert_eq!(
            us.from_wall(wall(2026, 1, 1, 0, 0)).ok(),
            Some(1_767_243_600)
        );
    }

    #[test]
    fn winter_is_one_segment_across_the_new_year() {
        let eu = zone("Test/Dst");
        for instant in [wall(2027, 1, 1, 12, 0), wall(2026, 12, 31, 12, 0)] {
            assert_eq!(eu.segment(instant).ok(), Some((0, 1_806_195_600)));
            assert_eq!(
                eu.stretch(instant).map(|s| s.start).ok(),
                Some(1_792_890_000)
            );
        }
        assert_eq!(
            eu.segment(wall(2400, 12, 31, 12, 0)).ok(),
            Some((0, 13_601_088_000))
        );
        let first = eu.stretch(wall(1800, 1, 2, 0, 0)).expect("1800");
        assert_eq!((first.start, first.end), (-5_364_662_400, -5_357_055_600));
        let utc = zone("UTC");
        assert_eq!(
            utc.segment(0).ok(),
            Some((0, year_start(1972).unwrap_or(0)))
        );
    }

    #[test]
    fn a_day_is_the_instants_of_its_local_date() {
        let day = |y, m, d| wall_of_date(y, m, d) / DAY;
        // An ordinary day: one local midnight to the next.
        let eu = zone("Test/Dst");
        assert_eq!(
            eu.day_spans(day(2026, 7, 1)).ok(),
            Some(vec![(1_782_860_400, 1_782_946_800)])
        );
        // Days that clocks shorten and lengthen away from midnight are one stretch each.
        assert_eq!(
            eu.day_spans(day(2026, 3, 29)).ok(),
            Some(vec![(1_774_742_400, 1_774_825_200)])
        );
        assert_eq!(
            eu.day_spans(day(2026, 10, 25)).ok(),
            Some(vec![(1_792_882_800, 1_792_972_800)])
        );
        // Newfoundland fell back at 00:01 on Sunday 7 November 2010 (02:31 UTC): Sunday
        // 00:00-00:01, then Saturday 23:01-23:59 again, then Sunday for good.
        let newfoundland = zone("Test/StJohns");
        let utc = |d, h, mi| wall(2010, 11, d, h, mi);
        assert_eq!(
            newfoundland.day_spans(day(2010, 11, 6)).ok(),
            Some(vec![
                (utc(6, 2, 30), utc(7, 2, 30)),
                (utc(7, 2, 31), utc(7, 3, 30))
            ])
        );
        assert_eq!(
            newfoundland.day_spans(day(2010, 11, 7)).ok(),
            Some(vec![
                (utc(7, 2, 30), utc(7, 2, 31)),
                (utc(7, 3, 30), utc(8, 3, 30))
            ])
        );
        // Spring forward at 00:01 skips 00:01-01:00: Sunday is one stretch, 23 hours long.
        assert_eq!(
            newfoundland.day_spans(day(2010, 3, 14)).ok(),
            Some(vec![(wall(2010, 3, 14, 3, 30), wall(2010, 3, 15, 2, 30))])
        );
        // Each instant of a stretch has the day's local date, and the instants just
        // outside do not.
        for d in [day(2010, 11, 6), day(2010, 11, 7), day(2010, 3, 14)] {
            for (start, end) in newfoundland.day_spans(d).unwrap_or_default() {
                for t in (start..end).step_by(60).chain([end - 1]) {
                    assert_eq!(newfoundland.to_wall(t).ok().map(|w| w / DAY), Some(d));
                }
                for t in [start - 1, end] {
                    assert_ne!(newfoundland.to_wall(t).ok().map(|w| w / DAY), Some(d));
                }
            }
        }
    }

    #[test]
    fn transitions_list_each_change() {
        let found = zone("Test/Dst").transitions(wall(2026, 1, 1, 0, 0), wall(2027, 12, 31, 0, 0));
        let expected = [
            (1_774_746_000, 3_600),
            (1_792_890_000, 0),
            (1_806_195_600, 3_600),
            (1_824_944_400, 0),
        ];
        assert_eq!(found.ok(), Some(expected.to_vec()));
    }

    #[test]
    fn unknown_zones_and_bad_tables_are_errors() {
        let error = Zone::load("Nowhere/Else", Arc::new(TestSources)).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("timezone"));
        let bad = YearTable {
            starts: vec![0, 5],
            offsets: vec![0],
        };
        assert_eq!(
            Table::checked(bad, "X", 1970).unwrap_err().kind,
            ErrorKind::Engine
        );
    }

    #[test]
    fn zones_are_shared_between_threads() {
        let eu = Arc::new(zone("Test/Dst"));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let eu = eu.clone();
                std::thread::spawn(move || eu.from_wall(wall(2026 + i, 3, 29, 1, 30)).is_ok())
            })
            .collect();
        assert!(handles.into_iter().all(|h| h.join().unwrap_or(false)));
    }
}
