//! How Python sees JSON-like values: equality, ordering, `in`, `repr` and `json.dumps`.
//!
//! Event data reaches Python frozen (lists as tuples, objects as `FrozenMap`); a
//! condition's `value` is frozen only down to its first object (`_hashable` stops there),
//! so lists inside a policy object stay lists, which never equal a tuple.

use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::fmt::Write;

/// Which Python containers a JSON value's arrays and objects stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Frozen data: every array is a tuple.
    Data,
    /// A condition's value outside any object: arrays are tuples.
    Policy,
    /// A condition's value inside an object: arrays are lists.
    PolicyInDict,
}

/// A number as Python compares it: bools are ints, ints are unbounded.
#[derive(Debug, Clone, Copy)]
pub enum Num {
    Int(i128),
    Float(f64),
}

/// A JSON value seen as the Python object it stands for.
#[derive(Debug, Clone, Copy)]
pub enum Py<'a> {
    None,
    Num(Num),
    Str(&'a str),
    Tuple(&'a [Value], Side),
    List(&'a [Value], Side),
    Dict(&'a Map<String, Value>, Side),
}

/// Python raised `TypeError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeError;

impl<'a> Py<'a> {
    /// `value` as seen from `side`.
    pub fn of(value: &'a Value, side: Side) -> Py<'a> {
        match value {
            Value::Null => Py::None,
            Value::Bool(b) => Py::Num(Num::Int(i128::from(*b))),
            Value::Number(n) => Py::Num(number(n)),
            Value::String(s) => Py::Str(s),
            Value::Array(items) if side == Side::PolicyInDict => Py::List(items, side),
            Value::Array(items) => Py::Tuple(items, side),
            Value::Object(map) => Py::Dict(map, inside_dict(side)),
        }
    }
}

fn inside_dict(side: Side) -> Side {
    match side {
        Side::Data => Side::Data,
        Side::Policy | Side::PolicyInDict => Side::PolicyInDict,
    }
}

fn number(n: &Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Num::Int(i128::from(u))
    } else {
        Num::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Python's `a == b`.
pub fn eq(a: Py, b: Py) -> bool {
    match (a, b) {
        (Py::None, Py::None) => true,
        (Py::Num(x), Py::Num(y)) => num_cmp(x, y) == Some(Ordering::Equal),
        (Py::Str(x), Py::Str(y)) => x == y,
        (Py::Tuple(x, sx), Py::Tuple(y, sy)) | (Py::List(x, sx), Py::List(y, sy)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(i, j)| eq(Py::of(i, sx), Py::of(j, sy)))
        }
        (Py::Dict(x, sx), Py::Dict(y, sy)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| eq(Py::of(v, sx), Py::of(w, sy))))
        }
        _ => false,
    }
}

/// Python's `a < b` and its kin; `op` is one of lt, le, gt, ge.
pub fn order(a: Py, b: Py, op: &str) -> Result<bool, TypeError> {
    let ordering = match (a, b) {
        (Py::Num(x), Py::Num(y)) => num_cmp(x, y),
        (Py::Str(x), Py::Str(y)) => Some(x.cmp(y)),
        (Py::Tuple(x, sx), Py::Tuple(y, sy)) | (Py::List(x, sx), Py::List(y, sy)) => {
            return sequence_order(x, sx, y, sy, op);
        }
        _ => return Err(TypeError),
    };
    Ok(ordering.is_some_and(|o| holds(o, op)))
}

/// Tuples compare at their first unequal items, else by length.
fn sequence_order(
    x: &[Value],
    sx: Side,
    y: &[Value],
    sy: Side,
    op: &str,
) -> Result<bool, TypeError> {
    let differing = x
        .iter()
        .zip(y)
        .find(|(i, j)| !eq(Py::of(i, sx), Py::of(j, sy)));
    match differing {
        Some((i, j)) => order(Py::of(i, sx), Py::of(j, sy), op),
        None => Ok(holds(x.len().cmp(&y.len()), op)),
    }
}

fn holds(ordering: Ordering, op: &str) -> bool {
    match op {
        "lt" => ordering == Ordering::Less,
        "le" => ordering != Ordering::Greater,
        "gt" => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    }
}

/// Numbers compare exactly, as Python compares ints with floats.
fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => int_float_cmp(x, y),
        (Num::Float(x), Num::Int(y)) => int_float_cmp(y, x).map(Ordering::reverse),
    }
}

fn int_float_cmp(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // Every i128 lies strictly within ±2^127, and every float past that is whole.
    const LIMIT: f64 = 1.7014118346046923e38;
    if f >= LIMIT {
        return Some(Ordering::Less);
    }
    if f < -LIMIT {
        return Some(Ordering::Greater);
    }
    let floor = f.floor();
    // `floor` is whole and within range, so the cast is exact.
    match i.cmp(&(floor as i128)) {
        Ordering::Equal if f > floor => Some(Ordering::Less),
        other => Some(other),
    }
}

/// Python's `found in value`.
pub fn contains(value: Py, found: Py) -> Result<bool, TypeError> {
    match value {
        Py::Tuple(items, side) | Py::List(items, side) => {
            Ok(items.iter().any(|item| eq(Py::of(item, side), found)))
        }
        Py::Str(text) => match found {
            Py::Str(part) => Ok(text.contains(part)),
            _ => Err(TypeError),
        },
        Py::Dict(map, _) => match found {
            Py::Str(key) => Ok(map.contains_key(key)),
            Py::List(..) => Err(TypeError),
            Py::Dict(_, side) if side != Side::Data => Err(TypeError),
            _ => Ok(false),
        },
        Py::None | Py::Num(_) => Err(TypeError),
    }
}

/// Python's truth value of a JSON value.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => match number(n) {
            Num::Int(i) => i != 0,
            Num::Float(f) => f != 0.0,
        },
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// The name of the Python type of a frozen data value.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) => match number(n) {
            Num::Int(_) => "int",
            Num::Float(_) => "float",
        },
        Value::String(_) => "str",
        Value::Array(_) => "tuple",
        Value::Object(_) => "FrozenMap",
    }
}

/// Python's `repr` of a frozen data value (arrays are tuples).
pub fn repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

fn write_repr(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str_repr(out, s),
        Value::Array(items) => {
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(out, key);
                out.push_str(": ");
                write_repr(out, item);
            }
            out.push('}');
        }
    }
}

fn write_number(out: &mut String, n: &Number) {
    match number(n) {
        Num::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Num::Float(f) => write_float(out, f),
    }
}

/// Python's `repr(str)`: single quotes unless the text holds one and no double quote.
fn write_str_repr(out: &mut String, text: &str) {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if printable(c) => out.push(c),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push(quote);
}

/// `str.isprintable` for one character; outside ASCII it knows only the common
/// separators, format characters and private use areas, and the stretches of code points
/// no version of Unicode has assigned yet, not every unassigned code point.
fn printable(c: char) -> bool {
    let code = c as u32;
    if code < 0x80 {
        return (0x20..0x7f).contains(&code);
    }
    !matches!(
        code,
        0x80..=0xa0
            | 0xad
            | 0x600..=0x605
            | 0x61c
            | 0x6dd
            | 0x70f
            | 0x1680
            | 0x180e
            | 0x2000..=0x200f
            | 0x2028..=0x202f
            | 0x205f..=0x2064
            | 0x2066..=0x206f
            | 0x3000
            | 0xd800..=0xf8ff
            | 0xfeff
            | 0xfff9..=0xfffb
            | 0x2fa20..=0x2ffff
            | 0x40000..=0xdffff
            | 0xe0001
            | 0xe0020..=0xe007f
            | 0xe1000..=0xeffff
            | 0xf0000..=0x10ffff
    )
}

/// Python's `repr(float)`, which `json.dumps` also writes (but for inf and nan).
pub fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "inf" } else { "-inf" });
        return;
    }
    // `{:e}` gives the shortest digits that read back as `f`, as Python's repr does.
    let scientific = format!("{:e}", f.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if f.is_sign_negative() {
        out.push('-');
    }
    if !(-4..16).contains(&exponent) {
        write_exponent_form(out, &digits, exponent);
    } else {
        write_fixed_form(out, &digits, exponent);
    }
}

fn write_exponent_form(out: &mut String, digits: &str, exponent: i32) {
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    let _ = write!(out, "e{sign}{:02}", exponent.unsigned_abs());
}

fn write_fixed_form(out: &mut String, digits: &str, exponent: i32) {
    if exponent < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
        out.push_str(digits);
        return;
    }
    let point = exponent as usize + 1;
    if digits.len() <= point {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', point - digits.len()));
        out.push_str(".0");
    } else {
        out.push_str(&digits[..point]);
        out.push('.');
        out.push_str(&digits[point..]);
    }
}

/// `json.dumps(value, sort_keys=True)` as Python writes it (ASCII only).
pub fn json_dumps(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_json_number(out, n),
        Value::String(s) => write_json_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => write_json_map(out, map),
    }
}

/// `json.dumps(map, sort_keys=True)` as Python writes it, appended to `out`.
pub fn write_json_map(out: &mut String, map: &Map<String, Value>) {
    // The map is sorted already unless serde_json keeps insertion order.
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (i, (key, item)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_json_str(out, key);
        out.push_str(": ");
        write_json(out, item);
    }
    out.push('}');
}

fn write_json_number(out: &mut String, n: &Number) {
    match number(n) {
        Num::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Num::Float(f) if f.is_nan() => out.push_str("NaN"),
        Num::Float(f) if f.is_infinite() => {
            out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" })
        }
        Num::Float(f) => write_float(out, f),
    }
}

fn write_json_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(value: &Value) -> Py<'_> {
        Py::of(value, Side::Data)
    }

    fn policy(value: &Value) -> Py<'_> {
        Py::of(value, Side::Policy)
    }

    fn float_repr(f: f64) -> String {
        let mut out = String::new();
        write_float(&mut out, f);
        out
    }

    #[test]
    fn floats_read_as_python_writes_them() {
        let cases = [
            (1.0, "1.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (-0.0, "-0.0"),
            (123456789.125, "123456789.125"),
            (1.5e300, "1.5e+300"),
            (5e-324, "5e-324"),
            (2.5e-7, "2.5e-07"),
            (-12.5, "-12.5"),
            (f64::INFINITY, "inf"),
        ];
        for (f, text) in cases {
            assert_eq!(float_repr(f), text);
        }
    }

    #[test]
    fn json_dumps_as_python() {
        let value = json!({"b": "é\u{1F600}\u{7f}\"\\\n", "a": [1, true, null, {}, 2.0, 1e16]});
        assert_eq!(
            json_dumps(&value),
            r#"{"a": [1, true, null, {}, 2.0, 1e+16], "b": "\u00e9\ud83d\ude00\u007f\"\\\n"}"#
        );
    }

    #[test]
    fn repr_as_python() {
        assert_eq!(repr(&json!("fax")), "'fax'");
        assert_eq!(repr(&json!("it's")), "\"it's\"");
        assert_eq!(repr(&json!("it's \"x\"")), "'it\\'s \"x\"'");
        assert_eq!(repr(&json!([1])), "(1,)");
        assert_eq!(
            repr(&json!({"a": [1, 2.5, null, false]})),
            "{'a': (1, 2.5, None, False)}"
        );
        assert_eq!(repr(&json!("\u{7}é\u{a0}")), "'\\x07é\\xa0'");
    }

    #[test]
    fn numbers_compare_as_python() {
        assert!(eq(data(&json!(true)), policy(&json!(1))));
        assert!(eq(data(&json!(0)), policy(&json!(false))));
        assert!(eq(data(&json!(1)), policy(&json!(1.0))));
        assert!(!eq(
            data(&json!(9007199254740993u64)),
            policy(&json!(9007199254740992.0))
        ));
        assert_eq!(order(data(&json!(true)), policy(&json!(2)), "lt"), Ok(true));
        assert_eq!(order(data(&json!(2)), policy(&json!(2.5)), "lt"), Ok(true));
        assert_eq!(
            order(data(&json!(-3)), policy(&json!(-2.5)), "lt"),
            Ok(true)
        );
        assert_eq!(
            order(data(&json!(u64::MAX)), policy(&json!(1e300)), "lt"),
            Ok(true)
        );
        assert_eq!(
            order(data(&json!("b")), policy(&json!(1)), "lt"),
            Err(TypeError)
        );
        assert_eq!(
            order(data(&json!(null)), policy(&json!(null)), "le"),
            Err(TypeError)
        );
    }

    #[test]
    fn sequences_and_dicts_compare_as_python() {
        assert!(eq(data(&json!([1, [2]])), policy(&json!([1.0, [2]]))));
        assert_eq!(
            order(data(&json!([1, 2])), policy(&json!([1, 3])), "lt"),
            Ok(true)
        );
        assert_eq!(
            order(data(&json!([1])), policy(&json!([1, 0])), "lt"),
            Ok(true)
        );
        assert_eq!(
            order(data(&json!([1, "a"])), policy(&json!([1, 2])), "lt"),
            Err(TypeError)
        );
        assert_eq!(
            order(data(&json!(["a", "a"])), policy(&json!(["b", 2])), "lt"),
            Ok(true)
        );
        assert!(eq(data(&json!({"a": 1})), policy(&json!({"a": true}))));
        // A list inside a policy object stays a list, and never equals a tuple.
        assert!(!eq(data(&json!({"a": [1]})), policy(&json!({"a": [1]}))));
        assert_eq!(
            order(data(&json!({})), policy(&json!({})), "le"),
            Err(TypeError)
        );
    }

    #[test]
    fn membership_as_python() {
        assert_eq!(
            contains(policy(&json!(["a", 1])), data(&json!(true))),
            Ok(true)
        );
        assert_eq!(
            contains(policy(&json!("gold card")), data(&json!("gold"))),
            Ok(true)
        );
        assert_eq!(
            contains(policy(&json!("gold")), data(&json!(1))),
            Err(TypeError)
        );
        assert_eq!(
            contains(policy(&json!({"vip": 1})), data(&json!("vip"))),
            Ok(true)
        );
        assert_eq!(
            contains(policy(&json!({"vip": 1})), data(&json!(1))),
            Ok(false)
        );
        assert_eq!(contains(policy(&json!(3)), data(&json!(3))), Err(TypeError));
    }
}
