//! Reading the report's JSON tolerantly: every accessor returns `None` for a missing field or
//! one of the wrong type, so a section renders what it can from a hand-edited or foreign
//! report. Numbers are only ever finite (`NaN` and infinities never reach the page).
//!
//! Nothing here knows what a field means; the sections do.

use serde_json::Value;

/// Longest text taken from the JSON into the page, in characters (an error message can be
/// a whole log).
const MAX_TEXT: usize = 2000;

/// A finite number.
pub(crate) fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key)?.as_f64().filter(|x| x.is_finite())
}

/// A whole non-negative number (an integral float like `2000.0` counts).
pub(crate) fn count(v: &Value, key: &str) -> Option<u64> {
    let x = v.get(key)?;
    x.as_u64().or_else(|| {
        x.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

/// A string.
pub(crate) fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str()
}

/// A boolean.
pub(crate) fn flag(v: &Value, key: &str) -> Option<bool> {
    v.get(key)?.as_bool()
}

/// An array.
pub(crate) fn list<'a>(v: &'a Value, key: &str) -> Option<&'a [Value]> {
    v.get(key)?.as_array().map(Vec::as_slice)
}

/// A field as text to show, whatever its type: a string as it is, a number or boolean
/// printed, an array of scalars joined with commas, anything else as compact JSON; `None`
/// for a missing field or `null`. Long text is cut.
pub(crate) fn shown(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(scalar)
}

/// [`shown`] for a value itself.
pub(crate) fn scalar(v: &Value) -> Option<String> {
    let s = match v {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => crate::number::general(f),
            _ => crate::number::int_text(&n.to_string()),
        },
        Value::Array(items) if items.iter().all(|i| !i.is_array() && !i.is_object()) => items
            .iter()
            .map(|i| scalar(i).unwrap_or_else(|| "null".into()))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    Some(cut(&s))
}

/// At most [`MAX_TEXT`] characters of `s`, with an ellipsis when cut.
pub(crate) fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// The JSON type of a value, in words, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrong_types_are_none() {
        let v = json!({"n": "5", "s": 5, "l": {}, "f": 1, "c": -1});
        assert_eq!(num(&v, "n"), None);
        assert_eq!(text(&v, "s"), None);
        assert!(list(&v, "l").is_none());
        assert_eq!(flag(&v, "f"), None);
        assert_eq!(count(&v, "c"), None);
        assert_eq!(num(&json!(5), "n"), None);
    }

    #[test]
    fn counts_accept_integral_floats() {
        assert_eq!(count(&json!({"n": 2000.0}), "n"), Some(2000));
        assert_eq!(count(&json!({"n": 2000.5}), "n"), None);
    }

    #[test]
    fn long_text_is_cut_on_a_character() {
        let s = "é".repeat(MAX_TEXT + 10);
        let c = cut(&s);
        assert_eq!(c.chars().count(), MAX_TEXT + 1);
        assert!(c.ends_with('…'));
    }

    #[test]
    fn shown_prints_any_type() {
        let v = json!({"a": [1, "x"], "b": {"k": 1}, "c": null, "d": true});
        assert_eq!(shown(&v, "a").as_deref(), Some("1, x"));
        assert_eq!(shown(&v, "b").as_deref(), Some(r#"{"k":1}"#));
        assert_eq!(shown(&v, "c"), None);
        assert_eq!(shown(&v, "d").as_deref(), Some("true"));
    }
}
