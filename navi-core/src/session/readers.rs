//! Lenient field readers: a field of the wrong type loses that field only.

use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;

pub(super) fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

pub(super) fn lenient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|i| serde_json::from_value(i).ok())
            .collect(),
        _ => Vec::new(),
    })
}

pub(super) fn value_to_string(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_to_string(serde_json::Value::deserialize(d)?).unwrap_or_default())
}

pub(super) fn lenient_string_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(value_to_string(serde_json::Value::deserialize(d)?))
}

/// Seconds since the epoch; anything larger is taken as milli-, micro- or nanoseconds
/// (`date +%s%3N` in a hook) and scaled down. 10^11 s is the year 5138.
const MAX_PLAUSIBLE_SECONDS: i64 = 100_000_000_000;

pub(super) fn value_to_timestamp(v: &serde_json::Value) -> Option<i64> {
    let t = match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64),
        _ => None,
    }?;
    Some(plausible_seconds(t))
}

pub(super) fn plausible_seconds(mut t: i64) -> i64 {
    while t > MAX_PLAUSIBLE_SECONDS {
        t /= 1000;
    }
    t
}

pub(super) fn lenient_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(value_to_timestamp(&serde_json::Value::deserialize(d)?))
}

pub(super) fn lenient_timestamp_required<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(value_to_timestamp(&serde_json::Value::deserialize(d)?).unwrap_or(0))
}
