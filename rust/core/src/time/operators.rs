//! The next-allowed algebra and its least fixpoint: `outreach_rules/timeline/operators.py`
//! and `LocalTime` of `outreach_rules/timeline/calendar.py`.
//!
//! An operator returns the least allowed instant at or after `t`; it is extensive,
//! monotone and idempotent, so applying guards in turn until none moves `t` reaches the
//! earliest instant all of them allow, whatever the order.

use super::calendar::WallRule;
use super::{Calendars, Zone};
use crate::error::{CoreError, ErrorKind, Result};
use crate::model::Instant;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// How many stretches of constant offset a local-time guard walks before it gives up.
pub const MAX_SEGMENTS: usize = 10_000;
/// How many moves [`settle`] allows before it calls the guards broken.
pub const MAX_MOVES: usize = 1_000;

/// No allowed instant: for good, or until the event named by `waiting_for` happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocked<'a> {
    pub reason: &'a str,
    pub waiting_for: Option<&'a str>,
}

/// What a guard operator does; build `Intervals` and `Cap` with [`Operator::intervals`]
/// and [`Operator::cap`]. It borrows what the policy, the customer and the zone say.
#[derive(Debug, Clone)]
pub enum Operator<'a> {
    /// Allows nothing.
    Never { waiting_for: Option<&'a str> },
    /// Allows every instant from this one on.
    NotBefore(Instant),
    /// Allows every instant outside the half-open spans; an open span (no end) blocks
    /// from its start until `waiting_for` happens.
    Intervals {
        spans: Vec<(Instant, Option<Instant>)>,
        waiting_for: Option<&'a str>,
    },
    /// At most `limit` of `times` (plus the candidate) in any window of `period` seconds.
    Cap {
        limit: i64,
        period: i64,
        times: Vec<Instant>,
    },
    /// A wall rule read in a zone.
    LocalTime { zone: &'a Zone, rule: WallRule<'a> },
}

impl<'a> Operator<'a> {
    /// Intervals with the spans sorted by start, then end (an open end last), as Python's.
    pub fn intervals(
        mut spans: Vec<(Instant, Option<Instant>)>,
        waiting_for: Option<&'a str>,
    ) -> Operator<'a> {
        spans.sort_by(span_order);
        Operator::Intervals { spans, waiting_for }
    }

    /// A cap with its times sorted, as Python's.
    pub fn cap(limit: i64, period: i64, mut times: Vec<Instant>) -> Operator<'a> {
        times.sort_unstable();
        Operator::Cap {
            limit,
            period,
            times,
        }
    }
}

fn span_order(a: &(Instant, Option<Instant>), b: &(Instant, Option<Instant>)) -> Ordering {
    let end = |span: &(Instant, Option<Instant>)| span.1.map_or((1, 0), |end| (0, end));
    a.0.cmp(&b.0).then_with(|| end(a).cmp(&end(b)))
}

/// A guard: the rule it enforces, why, and its operator; it borrows its texts from the
/// policy (or the texts made once for it), so that building one allocates nothing.
#[derive(Debug, Clone)]
pub struct Guard<'a> {
    pub rule: &'a str,
    pub why: &'a str,
    /// Whether `why` has no character JSON escapes: known when the text is made once,
    /// so that records written from it need not look again.
    pub plain: bool,
    pub op: Operator<'a>,
}

/// The answer of one operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed<'a> {
    At(Instant),
    Blocked(Blocked<'a>),
}

impl<'a> Guard<'a> {
    /// The least allowed instant at or after `t`, or why there is none.
    pub fn next_allowed(&self, t: Instant, calendars: &Calendars) -> Result<Allowed<'a>> {
        Ok(match &self.op {
            Operator::Never { waiting_for } => self.blocked(*waiting_for),
            Operator::NotBefore(instant) => Allowed::At(t.max(*instant)),
            Operator::Intervals { spans, waiting_for } => match intervals_next(spans, t) {
                Some(at) => Allowed::At(at),
                None => self.blocked(*waiting_for),
            },
            Operator::Cap {
                limit,
                period,
                times,
            } => {
                if *limit <= 0 {
                    self.blocked(None)
                } else {
                    Allowed::At(cap_next(*limit, *period, times, t)?)
                }
            }
            Operator::LocalTime { zone, rule } => self.local_next(zone, rule, t, calendars)?,
        })
    }

    fn blocked(&self, waiting_for: Option<&'a str>) -> Allowed<'a> {
        Allowed::Blocked(Blocked {
            reason: self.why,
            waiting_for,
        })
    }

    /// Walk the zone's stretches of constant offset until the wall rule allows a time
    /// inside one: a time in a gap lands on the jump, a fold is read on both passes.
    fn local_next(
        &self,
        zone: &Zone,
        rule: &WallRule,
        mut t: Instant,
        calendars: &Calendars,
    ) -> Result<Allowed<'a>> {
        for _ in 0..MAX_SEGMENTS {
            let (offset, end) = zone.segment(t)?;
            let Some(wall) = rule.next_wall(t.saturating_add(offset), calendars)? else {
                return Ok(self.blocked(None));
            };
            let at = wall.saturating_sub(offset);
            if at < end {
                return Ok(Allowed::At(at));
            }
            t = end;
        }
        Err(CoreError::new(
            ErrorKind::MaxIterations,
            format!(
                "no allowed local time found within {MAX_SEGMENTS} stretches of {}",
                zone.name()
            ),
        )
        .rule(self.rule))
    }
}

/// `t` carried over the spans that hold it; None when an open span does.
fn intervals_next(spans: &[(Instant, Option<Instant>)], t: Instant) -> Option<Instant> {
    // Python sorts spans when it builds the guard; a variant built here without
    // `Operator::intervals` is sorted now, so the answer is the same either way.
    let spans = sorted(spans, span_order);
    let mut t = t;
    // One sweep over spans sorted by start carries t over overlapping spans.
    for &(start, end) in spans.iter() {
        if start > t {
            break;
        }
        t = t.max(end?);
    }
    Some(t)
}

/// `items` as they are if already in `order`, else a sorted copy.
fn sorted<T: Clone>(items: &[T], order: impl Fn(&T, &T) -> Ordering) -> Cow<'_, [T]> {
    if items
        .windows(2)
        .all(|pair| order(&pair[0], &pair[1]) != Ordering::Greater)
    {
        Cow::Borrowed(items)
    } else {
        let mut owned = items.to_vec();
        owned.sort_by(order);
        Cow::Owned(owned)
    }
}

/// The first candidate at or after `t` that keeps every window within `limit`.
fn cap_next(limit: i64, period: i64, times: &[Instant], t: Instant) -> Result<Instant> {
    let times = sorted(times, Instant::cmp);
    // Allowed turns from false to true only where a contact leaves the windows that
    // contain the candidate, so the candidates are t and each contact's time + period.
    let first = bisect_right(&times, t.saturating_sub(period));
    let later = times[first..]
        .iter()
        .map(|time| time.saturating_add(period));
    std::iter::once(t)
        .chain(later)
        .find(|&candidate| candidate >= t && fits(limit, period, &times, candidate))
        .ok_or_else(|| {
            CoreError::new(
                ErrorKind::Engine,
                "a cap always allows the instant after its last window",
            )
        })
}

/// Whether one more contact at `candidate` keeps every window within `limit`.
fn fits(limit: i64, period: i64, times: &[Instant], candidate: Instant) -> bool {
    // The fullest window that contains the candidate starts at a contact inside
    // (candidate - period, candidate] or at the candidate itself.
    let low = bisect_right(times, candidate.saturating_sub(period));
    let high = bisect_right(times, candidate);
    times[low..high.max(low)]
        .iter()
        .chain(std::iter::once(&candidate))
        .all(|&start| {
            let inside = bisect_left(times, start.saturating_add(period))
                .saturating_sub(bisect_left(times, start));
            (inside as i64).saturating_add(1) <= limit
        })
}

fn bisect_right(times: &[Instant], value: Instant) -> usize {
    times.partition_point(|&time| time <= value)
}

fn bisect_left(times: &[Instant], value: Instant) -> usize {
    times.partition_point(|&time| time < value)
}

/// One step of the fixpoint: `guards[guard]` moved the instant from `start` to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub guard: usize,
    pub start: Instant,
    pub end: Instant,
}

/// Where the fixpoint came to rest; see Python's `Settlement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement<'a> {
    pub at: Option<Instant>,
    pub moves: Vec<Move>,
    /// The index of the guard that allows nothing more, and why.
    pub blocked: Option<(usize, Blocked<'a>)>,
    pub expired: bool,
}

impl Settlement<'_> {
    fn expired<'a>(moves: Vec<Move>) -> Settlement<'a> {
        Settlement {
            at: None,
            moves,
            blocked: None,
            expired: true,
        }
    }
}

/// Apply `guards` in turn from `start` until none moves the instant (Python's `settle`).
pub fn settle<'a>(
    guards: &[Guard<'a>],
    start: Instant,
    expires: Option<Instant>,
    calendars: &Calendars,
) -> Result<Settlement<'a>> {
    settle_in(Vec::new(), guards, start, expires, calendars)
}

/// [`settle`], its moves written into `moves` (emptied first): a caller that settles
/// again and again hands the same vector back each time.
pub fn settle_in<'a>(
    mut moves: Vec<Move>,
    guards: &[Guard<'a>],
    start: Instant,
    expires: Option<Instant>,
    calendars: &Calendars,
) -> Result<Settlement<'a>> {
    moves.clear();
    let past = |t: Instant| expires.is_some_and(|expires| t > expires);
    if past(start) {
        return Ok(Settlement::expired(moves));
    }
    let mut t = start;
    let (mut index, mut unmoved) = (0, 0);
    while unmoved < guards.len() {
        let guard = &guards[index];
        let result = match guard.next_allowed(t, calendars)? {
            Allowed::At(result) => result,
            Allowed::Blocked(blocked) => {
                let blocked = Some((index, blocked));
                return Ok(Settlement {
                    at: None,
                    moves,
                    blocked,
                    expired: false,
                });
            }
        };
        match result.cmp(&t) {
            Ordering::Less => return Err(not_extensive(guard, t, result, calendars)),
            Ordering::Greater => {
                moves.push(Move {
                    guard: index,
                    start: t,
                    end: result,
                });
                if moves.len() >= MAX_MOVES {
                    return Err(too_many_moves(guards, &moves, calendars));
                }
                t = result;
                // The guard that moved t must agree too: one that keeps moving its own
                // answer breaks the contract, and is caught by MAX_MOVES, not trusted.
                unmoved = 0;
                if past(t) {
                    return Ok(Settlement::expired(moves));
                }
            }
            Ordering::Equal => unmoved += 1,
        }
        index = (index + 1) % guards.len();
    }
    Ok(Settlement {
        at: Some(t),
        moves,
        blocked: None,
        expired: false,
    })
}

fn not_extensive(guard: &Guard, t: Instant, result: Instant, calendars: &Calendars) -> CoreError {
    CoreError::new(
        ErrorKind::Engine,
        format!(
            "guard {} moved {t} back to {result}: not extensive",
            calendars.repr(guard.rule)
        ),
    )
}

fn too_many_moves(guards: &[Guard], moves: &[Move], calendars: &Calendars) -> CoreError {
    // Python sorts by code point; UTF-8 bytes sort the same way.
    let rules: BTreeSet<&str> = moves.iter().map(|m| guards[m.guard].rule).collect();
    CoreError::new(
        ErrorKind::MaxIterations,
        format!(
            "guards {} moved the instant {MAX_MOVES} times without agreeing",
            py_repr_list(rules, calendars)
        ),
    )
    .field("guards")
    .hint("check that the rules leave some instant allowed")
}

/// Python's `repr` of a list of strings: `['a', 'b']`.
fn py_repr_list<'a>(items: impl IntoIterator<Item = &'a str>, calendars: &Calendars) -> String {
    let shown: Vec<String> = items.into_iter().map(|item| calendars.repr(item)).collect();
    format!("[{}]", shown.join(", "))
}

/// Python's `repr` of a string: `'a'`, `"it's"`, `'\n'`.
pub fn py_repr_str(text: &str) -> String {
    // Python escapes what `str.isprintable` refuses; `py_printable` knows the control,
    // separator, format and private-use characters, not every unassigned code point.
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut shown = String::with_capacity(text.len() + 2);
    shown.push(quote);
    for c in text.chars() {
        match c {
            '\\' => shown.push_str("\\\\"),
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            c if c == quote => {
                shown.push('\\');
                shown.push(c);
            }
            c if !py_printable(c) => shown.push_str(&py_escape(c)),
            c => shown.push(c),
        }
    }
    shown.push(quote);
    shown
}

fn py_escape(c: char) -> String {
    let code = u32::from(c);
    if code < 0x100 {
        format!("\\x{code:02x}")
    } else if code < 0x1_0000 {
        format!("\\u{code:04x}")
    } else {
        format!("\\U{code:08x}")
    }
}

/// Characters Python's `str.isprintable` refuses (control, separators other than the
/// space, format, private use and non-characters, and the stretches of code points no
/// version of Unicode has assigned yet), as inclusive ranges.
const UNPRINTABLE: &[(u32, u32)] = &[
    (0x00, 0x1f),
    (0x7f, 0xa0),
    (0xad, 0xad),
    (0x600, 0x605),
    (0x61c, 0x61c),
    (0x6dd, 0x6dd),
    (0x70f, 0x70f),
    (0x890, 0x891),
    (0x8e2, 0x8e2),
    (0x1680, 0x1680),
    (0x180e, 0x180e),
    (0x2000, 0x200f),
    (0x2028, 0x202f),
    (0x205f, 0x2064),
    (0x2066, 0x206f),
    (0x3000, 0x3000),
    (0xd800, 0xf8ff),
    (0xfdd0, 0xfdef),
    (0xfeff, 0xfeff),
    (0xfff0, 0xfffb),
    (0xfffe, 0xffff),
    (0x110bd, 0x110bd),
    (0x110cd, 0x110cd),
    (0x13430, 0x13438),
    (0x1bca0, 0x1bca3),
    (0x1d173, 0x1d17a),
    (0x2fa20, 0x2ffff),
    (0x40000, 0xdffff),
    (0xe0000, 0xe00ff),
    (0xe01f0, 0xeffff),
    (0xf0000, 0x10ffff),
];

fn py_printable(c: char) -> bool {
    let code = u32::from(c);
    let plane_end = code & 0xfffe == 0xfffe;
    !plane_end
        && !UNPRINTABLE
            .iter()
            .any(|&(low, high)| low <= code && code <= high)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::HourSpan;
    use crate::time::zone::test_sources::calendars;
    use crate::time::zone::wall_of_date;

    fn guard<'a>(rule: &'a str, op: Operator<'a>) -> Guard<'a> {
        Guard {
            rule,
            why: "w",
            plain: true,
            op,
        }
    }

    fn next<'a>(guard: &Guard<'a>, t: Instant) -> Allowed<'a> {
        guard.next_allowed(t, &calendars()).expect("no error")
    }

    fn blocked(waiting_for: Option<&str>) -> Allowed<'_> {
        Allowed::Blocked(Blocked {
            reason: "w",
            waiting_for,
        })
    }

    fn every_day(start: i64, end: i64) -> [HourSpan; 1] {
        let days = (0..7).collect();
        [HourSpan { days, start, end }]
    }

    #[test]
    fn simple_operators() {
        let never = guard(
            "n",
            Operator::Never {
                waiting_for: Some("reply"),
            },
        );
        assert_eq!(next(&never, 5), blocked(Some("reply")));
        let not_before = guard("nb", Operator::NotBefore(100));
        assert_eq!(
            (next(&not_before, 5), next(&not_before, 150)),
            (Allowed::At(100), Allowed::At(150))
        );
    }

    #[test]
    fn intervals_carry_over_spans_and_open_ones_block() {
        let spans = vec![(150, None), (100, Some(200)), (90, Some(120))];
        let open = guard("i", Operator::intervals(spans, Some("x")));
        assert_eq!(next(&open, 95), blocked(Some("x")));
        assert_eq!(next(&open, 80), Allowed::At(80));
        let closed = guard(
            "i",
            Operator::intervals(vec![(300, Some(400)), (100, Some(200))], None),
        );
        assert_eq!(next(&closed, 150), Allowed::At(200));
        let unsorted = guard(
            "i",
            Operator::Intervals {
                spans: vec![(300, Some(400)), (100, Some(300))],
                waiting_for: None,
            },
        );
        assert_eq!(next(&unsorted, 150), Allowed::At(400));
    }

    #[test]
    fn caps_find_the_first_instant_that_fits() {
        assert_eq!(
            next(&guard("c", Operator::cap(2, 10, vec![5, 0])), 3),
            Allowed::At(10)
        );
        assert_eq!(
            next(&guard("c", Operator::cap(2, 10, vec![0, 5, 12])), 3),
            Allowed::At(15)
        );
        assert_eq!(
            next(&guard("c", Operator::cap(1, 10, vec![])), 3),
            Allowed::At(3)
        );
        assert_eq!(
            next(&guard("c", Operator::cap(0, 10, vec![])), 3),
            blocked(None)
        );
    }

    #[test]
    fn local_time_lands_on_the_jump_and_reads_both_passes_of_a_fold() {
        let zone = calendars().zone("Test/Dst").expect("a test zone");
        let (early, late) = (every_day(5_400, 10_800), every_day(3_600, 6_300));
        let daily = |spans| Operator::LocalTime {
            zone: &zone,
            rule: WallRule::Hours(spans),
        };
        let gap = guard("g", daily(&early));
        assert_eq!(
            next(&gap, wall_of_date(2026, 3, 29)),
            Allowed::At(1_774_746_000)
        );
        let fold = guard("f", daily(&late));
        assert_eq!(
            next(&fold, wall_of_date(2026, 10, 25) + 3_000),
            Allowed::At(1_792_890_000)
        );
    }

    #[test]
    fn settle_reaches_the_fixpoint() {
        let calendars = calendars();
        let guards = [
            guard("nb", Operator::NotBefore(100)),
            guard(
                "iv",
                Operator::intervals(vec![(100, Some(200)), (250, Some(300))], None),
            ),
            guard("cap", Operator::cap(1, 60, vec![180, 230])),
        ];
        let settled = settle(&guards, 0, None, &calendars).expect("settles");
        let moves = [(0, 0, 100), (1, 100, 200), (2, 200, 290), (1, 290, 300)]
            .map(|(guard, start, end)| Move { guard, start, end });
        assert_eq!(
            settled,
            Settlement {
                at: Some(300),
                moves: moves.to_vec(),
                blocked: None,
                expired: false
            }
        );
        let expired = settle(&guards, 0, Some(200), &calendars).expect("expires");
        assert_eq!(
            (expired.at, expired.moves.len(), expired.expired),
            (None, 3, true)
        );
        let late = settle(&guards, 300, Some(200), &calendars).expect("expires");
        assert_eq!(
            late,
            Settlement {
                at: None,
                moves: vec![],
                blocked: None,
                expired: true
            }
        );
        assert_eq!(
            settle(&[], 7, None, &calendars).map(|s| s.at).ok(),
            Some(Some(7))
        );
    }

    #[test]
    fn settle_stops_at_a_blocked_guard() {
        let guards = [
            guard("nb", Operator::NotBefore(100)),
            guard("iv", Operator::intervals(vec![(150, None)], Some("reply"))),
        ];
        let settled = settle(&guards, 160, None, &calendars()).expect("settles");
        let why = Blocked {
            reason: "w",
            waiting_for: Some("reply"),
        };
        assert_eq!(
            settled,
            Settlement {
                at: None,
                moves: vec![],
                blocked: Some((1, why)),
                expired: false
            }
        );
    }

    #[test]
    fn guards_that_never_agree_are_max_iterations() {
        let calendars = calendars();
        let zone = calendars.zone("UTC").expect("UTC");
        let hour = |start: i64| {
            [HourSpan {
                days: vec![0],
                start,
                end: start + 3_600,
            }]
        };
        let (nine, ten) = (hour(9 * 3_600), hour(10 * 3_600));
        let monday = |spans| Operator::LocalTime {
            zone: &zone,
            rule: WallRule::Hours(spans),
        };
        let guards = [guard("b", monday(&nine)), guard("it's", monday(&ten))];
        let error = settle(&guards, wall_of_date(2026, 1, 1), None, &calendars).unwrap_err();
        assert_eq!(error.kind, ErrorKind::MaxIterations);
        assert_eq!(
            error.message,
            "guards ['b', \"it's\"] moved the instant 1000 times without agreeing"
        );
        assert_eq!(error.field.as_deref(), Some("guards"));
        assert_eq!(
            error.hint.as_deref(),
            Some("check that the rules leave some instant allowed")
        );
    }

    #[test]
    fn strings_are_shown_as_python_shows_them() {
        assert_eq!(py_repr_str("a"), "'a'");
        assert_eq!(py_repr_str("it's"), "\"it's\"");
        assert_eq!(py_repr_str("it's \"x\""), "'it\\'s \"x\"'");
        assert_eq!(
            py_repr_str("a\\b\n\t\u{7}\u{a0}\u{200b}Ω\u{10ffff}"),
            "'a\\\\b\\n\\t\\x07\\xa0\\u200bΩ\\U0010ffff'"
        );
        // Never assigned in any version of Unicode: Python escapes them.
        assert_eq!(
            py_repr_str("\u{89b88}\u{ee2fc}\u{2fa20}"),
            "'\\U00089b88\\U000ee2fc\\U0002fa20'"
        );
    }
}
