//! config.yaml's `prices:`: model → USD per million tokens, over the built-in table
//! (`navi_core::cost`).
//!
//! ```yaml
//! prices:
//!   claude-sonnet-4-5: {input: 3, output: 15, cache_write: 3.75, cache_read: 0.3}
//!   my-proxy-model: {input: 1, output: 2, cache_write: 1.25, cache_read: 0.1}
//! ```
//!
//! A model of the built-in table may set only some fields; a new model sets all four.

use navi_core::cost::{Price, PriceTable};
use serde_yaml::Value;

use super::values::{describe, unknown_key};

const FIELDS: &[&str] = &["input", "output", "cache_write", "cache_read"];

/// Applies `prices:` to `table`; each problem as (field, message), the field written as
/// `prices.MODEL.FIELD`. A model with a problem keeps its built-in price (or none).
pub(super) fn apply(table: &mut PriceTable, value: &Value) -> Vec<(String, String)> {
    let Value::Mapping(map) = value else {
        return vec![(
            "prices".into(),
            format!(
                "expected `model: {{input: 3, output: 15, cache_write: 3.75, cache_read: 0.3}}` \
                 lines, found {}; the built-in prices are used",
                describe(value)
            ),
        )];
    };
    let mut problems = Vec::new();
    for (model, fields) in map {
        let Some(model) = model.as_str().map(str::trim) else {
            problems.push((
                "prices".into(),
                format!(
                    "a model name that is not text ({}) is ignored",
                    describe(model)
                ),
            ));
            continue;
        };
        let at = format!("prices.{}", navi_core::text::sanitize(model));
        match price(table.get(model).copied(), fields, &at) {
            Ok(p) => table.set(model, p),
            Err(mut e) => problems.append(&mut e),
        }
    }
    problems
}

/// One model's entry, over `base` (its built-in price, if any).
fn price(base: Option<Price>, value: &Value, at: &str) -> Result<Price, Vec<(String, String)>> {
    let Value::Mapping(map) = value else {
        return Err(vec![(
            at.to_string(),
            format!(
                "expected `{{input: …, output: …, cache_write: …, cache_read: …}}` (USD per \
                 million tokens), found {}; ignored",
                describe(value)
            ),
        )]);
    };
    let mut got: [Option<f64>; 4] = [None; 4];
    let mut problems = Vec::new();
    for (k, v) in map {
        let Some(k) = k.as_str() else {
            problems.push((
                at.to_string(),
                format!("a field that is not text ({})", describe(k)),
            ));
            continue;
        };
        let Some(i) = FIELDS.iter().position(|f| *f == k) else {
            let msg = unknown_key(k, FIELDS).replace("is ignored", "makes the entry ignored");
            problems.push((format!("{at}.{}", navi_core::text::sanitize(k)), msg));
            continue;
        };
        match v.as_f64().filter(|n| n.is_finite() && *n >= 0.0) {
            Some(n) => got[i] = Some(n),
            None => problems.push((
                format!("{at}.{k}"),
                format!("expected a number of USD per million tokens (0 or more), found {}; the entry is ignored", describe(v)),
            )),
        }
    }
    let fallback = base.map(|b| [b.input, b.output, b.cache_write, b.cache_read]);
    let mut values = [0.0; 4];
    for (i, slot) in values.iter_mut().enumerate() {
        match (got[i], fallback) {
            (Some(n), _) => *slot = n,
            (None, Some(b)) => *slot = b[i],
            (None, None) => problems.push((
                format!("{at}.{}", FIELDS[i]),
                "missing: a model not in the built-in table needs input, output, cache_write \
                 and cache_read; the entry is ignored"
                    .into(),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let [input, output, cache_write, cache_read] = values;
    Ok(Price {
        input,
        output,
        cache_write,
        cache_read,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn parse(text: &str) -> super::super::Loaded {
        super::super::parse(text, Path::new("/h/.config/navi/config.yaml"))
    }

    #[test]
    fn prices_override_add_and_complete_from_the_table() {
        let l = parse(
            "prices:\n  claude-sonnet-4-5: {input: 6, output: 22.5}\n  \
             my-model: {input: 1, output: 2, cache_write: 1.25, cache_read: 0.1}\n",
        );
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        let t = &l.settings.prices;
        let s = t.for_model("claude-sonnet-4-5-20250929").unwrap().1;
        assert_eq!(
            (s.input, s.output, s.cache_write, s.cache_read),
            (6.0, 22.5, 3.75, 0.30)
        );
        let m = t.for_model("my-model-v2").unwrap().1;
        assert_eq!((m.input, m.cache_read), (1.0, 0.1));
        // Others keep the built-in prices.
        assert_eq!(t.for_model("claude-haiku-4-5").unwrap().1.output, 5.0);
    }

    #[test]
    fn a_wrong_price_key_is_named_with_the_file_and_costs_only_its_entry() {
        let l = parse(
            "layout: compact\nprices:\n  claude-opus-4-5: {inptu: 1}\n  \
             new-model: {input: 1}\n  claude-haiku-4-5: {output: -3}\n  \
             claude-sonnet-4: 5\n",
        );
        let lines: Vec<String> = l.errors.iter().map(ToString::to_string).collect();
        let all = lines.join("\n");
        assert!(
            all.contains("/h/.config/navi/config.yaml: field `prices.claude-opus-4-5.inptu`: unknown key makes the entry ignored; did you mean `input`?"),
            "{all}"
        );
        assert!(
            all.contains("field `prices.new-model.output`: missing"),
            "{all}"
        );
        assert!(
            all.contains("field `prices.claude-haiku-4-5.output`: expected a number"),
            "{all}"
        );
        assert!(
            all.contains("field `prices.claude-sonnet-4`: expected `{input"),
            "{all}"
        );
        // The entries with problems keep the built-in prices; the rest of the file applies.
        let t = &l.settings.prices;
        assert_eq!(t.for_model("claude-opus-4-5").unwrap().1.input, 5.0);
        assert!(t.get("new-model").is_none());
        assert_eq!(l.settings.layout, super::super::Density::Compact);
        assert!(parse("prices: [1]\n").errors[0]
            .to_string()
            .contains("field `prices`: expected"));
    }
}
