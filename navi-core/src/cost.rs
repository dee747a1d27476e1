//! An estimated cost of a session from its token counts and models.
//!
//! The default prices are Anthropic's list prices in USD per million tokens, from
//! platform.claude.com (the pricing page and each model's overview), read in December
//! 2026. `config.yaml`'s `prices:` overrides or adds entries. The estimate is what the
//! tokens would cost at API list prices: a subscription (Pro, Max) is billed otherwise,
//! and 1-hour cache writes, long-context and batch rates are not told apart (every cache
//! write is priced at the 5-minute rate).

use std::collections::BTreeMap;

use crate::session::{ModelTokens, Tokens};

/// When the default prices were read.
pub const PRICES_CHECKED: &str = "2026-12";

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Fresh (uncached) input.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Writing to the prompt cache (5-minute rate).
    pub cache_write: f64,
    /// Reading from the prompt cache.
    pub cache_read: f64,
}

// Prices are finite and never negative (config values are checked), so equality is one.
impl Eq for Price {}

const fn p(input: f64, output: f64, cache_write: f64, cache_read: f64) -> Price {
    Price {
        input,
        output,
        cache_write,
        cache_read,
    }
}

/// The built-in table: a model id matches the longest key it starts with (then a `-`,
/// `@`, `[`, `:` or its end), so `claude-opus-4-5-20251101` is `claude-opus-4-5`.
pub const DEFAULT_PRICES: &[(&str, Price)] = &[
    ("claude-fable-5-2", p(8.0, 40.0, 10.0, 0.20)),
    ("claude-mythos-5-2", p(8.0, 40.0, 10.0, 0.20)),
    ("claude-fable-5-1", p(10.0, 50.0, 12.50, 0.25)),
    ("claude-mythos-5-1", p(10.0, 50.0, 12.50, 0.25)),
    ("claude-fable-5", p(10.0, 50.0, 12.50, 1.0)),
    ("claude-mythos-5", p(10.0, 50.0, 12.50, 1.0)),
    ("claude-opus-5-5", p(4.0, 20.0, 5.0, 0.20)),
    ("claude-opus-5", p(5.0, 25.0, 6.25, 0.50)),
    ("claude-opus-4-8", p(5.0, 25.0, 6.25, 0.50)),
    ("claude-opus-4-7", p(5.0, 25.0, 6.25, 0.50)),
    ("claude-opus-4-6", p(5.0, 25.0, 6.25, 0.50)),
    ("claude-opus-4-5", p(5.0, 25.0, 6.25, 0.50)),
    ("claude-opus-4-1", p(15.0, 75.0, 18.75, 1.50)),
    ("claude-opus-4", p(15.0, 75.0, 18.75, 1.50)),
    ("claude-3-opus", p(15.0, 75.0, 18.75, 1.50)),
    ("claude-sonnet-5-5", p(2.0, 10.0, 2.50, 0.10)),
    ("claude-sonnet-5", p(2.0, 10.0, 2.50, 0.20)),
    ("claude-sonnet-4-6", p(3.0, 15.0, 3.75, 0.30)),
    ("claude-sonnet-4-5", p(3.0, 15.0, 3.75, 0.30)),
    ("claude-sonnet-4", p(3.0, 15.0, 3.75, 0.30)),
    ("claude-3-7-sonnet", p(3.0, 15.0, 3.75, 0.30)),
    ("claude-3-5-sonnet", p(3.0, 15.0, 3.75, 0.30)),
    ("claude-haiku-5-5", p(0.10, 0.50, 0.125, 0.01)),
    ("claude-haiku-4-5", p(1.0, 5.0, 1.25, 0.10)),
    ("claude-3-5-haiku", p(0.80, 4.0, 1.0, 0.08)),
    ("claude-3-haiku", p(0.25, 1.25, 0.30, 0.03)),
];

/// Model id prefix → price: the defaults with `config.yaml`'s entries over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceTable {
    entries: BTreeMap<String, Price>,
}

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable {
            entries: DEFAULT_PRICES
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
        }
    }
}

impl PriceTable {
    /// The entry named exactly `key`.
    pub fn get(&self, key: &str) -> Option<&Price> {
        self.entries.get(key)
    }

    /// Sets (or adds) the entry `key`.
    pub fn set(&mut self, key: &str, price: Price) {
        self.entries.insert(key.to_string(), price);
    }

    /// The entry a model id is priced by: the longest key the id starts with, followed
    /// by a separator or nothing. Cloud ids (`us.anthropic.claude-…-v1:0`,
    /// `claude-…@20250929`) are read from their `claude-` on.
    pub fn for_model(&self, model: &str) -> Option<(&str, &Price)> {
        let id = model.find("claude-").map_or(model, |i| &model[i..]);
        self.entries
            .iter()
            .filter(|(key, _)| {
                id.strip_prefix(key.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '@', '[', ':']))
            })
            .max_by_key(|(key, _)| key.len())
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// An estimate: the dollars of the priced models, and the models without a price.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cost {
    /// USD, at list prices.
    pub dollars: f64,
    /// Models that have tokens but no price (their tokens are not in `dollars`).
    pub unpriced: Vec<String>,
}

impl Cost {
    /// `$1.23`, `$0.04`, `<$0.01`, `$1,234` (with a `+` when some model has no price).
    pub fn short(&self) -> String {
        let plus = if self.unpriced.is_empty() { "" } else { "+" };
        format!("{}{plus}", dollars(self.dollars))
    }
}

/// `$1.23`, `<$0.01`, `$0`, `$12.3k`.
pub fn dollars(d: f64) -> String {
    match d {
        d if d <= 0.0 => "$0".into(),
        d if d < 0.01 => "<$0.01".into(),
        d if d < 1000.0 => format!("${d:.2}"),
        d => format!("${:.1}k", d / 1000.0),
    }
}

fn model_cost(t: &ModelTokens, price: &Price) -> f64 {
    let read = t.cache_read.unwrap_or(0);
    let write = t.cache_creation.unwrap_or(0);
    let fresh = t.input.unwrap_or(0).saturating_sub(read + write);
    let millions = |n: u64| n as f64 / 1e6;
    millions(fresh) * price.input
        + millions(t.output.unwrap_or(0)) * price.output
        + millions(write) * price.cache_write
        + millions(read) * price.cache_read
}

/// The estimated cost of `tokens`: per model when the counts are split by model, else
/// by the last model. `None` when the counts carry no cache split or no model (the Go
/// navi's counts, or no assistant message yet): the price of their input is unknown.
pub fn estimate(tokens: &Tokens, prices: &PriceTable) -> Option<Cost> {
    let whole;
    let per_model: Vec<(&str, &ModelTokens)> = match &tokens.models {
        Some(m) if !m.is_empty() => m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        _ => {
            let model = tokens.model.as_deref()?;
            if !tokens.from_transcript() {
                return None;
            }
            whole = ModelTokens {
                input: tokens.input,
                output: tokens.output,
                cache_read: tokens.cache_read,
                cache_creation: tokens.cache_creation,
            };
            vec![(model, &whole)]
        }
    };
    let mut cost = Cost::default();
    for (model, t) in per_model {
        match prices.for_model(model) {
            Some((_, price)) => cost.dollars += model_cost(t, price),
            None => cost.unpriced.push(model.to_string()),
        }
    }
    Some(cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_id_finds_its_longest_key_only_at_a_separator() {
        let t = PriceTable::default();
        let key = |m: &str| t.for_model(m).map(|(k, _)| k.to_string());
        assert_eq!(
            key("claude-opus-4-5-20251101").as_deref(),
            Some("claude-opus-4-5")
        );
        assert_eq!(
            key("claude-opus-4-20250514").as_deref(),
            Some("claude-opus-4")
        );
        assert_eq!(key("claude-opus-4-1").as_deref(), Some("claude-opus-4-1"));
        assert_eq!(
            key("claude-sonnet-4-5[1m]").as_deref(),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(
            key("us.anthropic.claude-sonnet-4-5-20250929-v1:0").as_deref(),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(
            key("claude-sonnet-4-5@20250929").as_deref(),
            Some("claude-sonnet-4-5")
        );
        // `claude-opus-45` is not `claude-opus-4`.
        assert_eq!(key("claude-opus-45"), None);
        assert_eq!(key("<synthetic>"), None);
        assert_eq!(key("gpt-5"), None);
    }

    fn split(input: u64, output: u64, read: u64, write: u64) -> ModelTokens {
        ModelTokens {
            input: Some(input),
            output: Some(output),
            cache_read: Some(read),
            cache_creation: Some(write),
        }
    }

    #[test]
    fn cost_prices_each_part_of_each_model() {
        let mut models = BTreeMap::new();
        // 1M fresh, 1M written, 1M read (input 3M), 1M out on Sonnet 4.5: 3 + 3.75 + 0.3 + 15.
        models.insert(
            "claude-sonnet-4-5-20250929".into(),
            split(3_000_000, 1_000_000, 1_000_000, 1_000_000),
        );
        models.insert("claude-haiku-4-5".into(), split(1_000_000, 0, 0, 0));
        models.insert("mystery-model".into(), split(10, 10, 0, 0));
        let tokens = Tokens {
            models: Some(models),
            ..Tokens::default()
        };
        let c = estimate(&tokens, &PriceTable::default()).unwrap();
        assert!((c.dollars - (22.05 + 1.0)).abs() < 1e-9, "{}", c.dollars);
        assert_eq!(c.unpriced, vec!["mystery-model".to_string()]);
        assert_eq!(c.short(), "$23.05+");
    }

    #[test]
    fn counts_without_a_split_or_a_model_have_no_cost() {
        let go = Tokens {
            input: Some(10),
            output: Some(5),
            total: Some(15),
            ..Tokens::default()
        };
        assert_eq!(estimate(&go, &PriceTable::default()), None);
        let one = Tokens {
            input: Some(2_000_000),
            output: Some(0),
            cache_read: Some(1_000_000),
            cache_creation: Some(0),
            model: Some("claude-opus-4-5".into()),
            ..Tokens::default()
        };
        let mut table = PriceTable::default();
        table.set("claude-opus-4-5", p(1.0, 1.0, 1.0, 0.5));
        let c = estimate(&one, &table).unwrap();
        assert!((c.dollars - 1.5).abs() < 1e-9);
        assert_eq!(dollars(0.004), "<$0.01");
        assert_eq!(dollars(0.0), "$0");
        assert_eq!(dollars(1234.0), "$1.2k");
    }
}
