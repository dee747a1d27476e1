//! Tokens and their estimated cost: the `i` lines, the row badge and the header totals.
//!
//! The counts come from the status file (navi's hook reads them from Claude's transcript
//! on the session's machine); the cost is computed here, with this dashboard's price
//! table, so `config.yaml`'s `prices:` applies to remote sessions too.

use navi_core::cost::{self, Cost, PriceTable};
use navi_core::{Model, SessionInfo, Tokens};

use crate::format::{short_count, short_duration};

/// The session's token counts, `None` when the file has none.
fn tokens(s: &SessionInfo) -> Option<&Tokens> {
    s.metrics.as_ref()?.tokens.as_ref()
}

/// Why a session shows no tokens ("—" and this), or `None` when it has counts.
pub(crate) fn why_none(s: &SessionInfo) -> Option<String> {
    match tokens(s) {
        Some(t) if t.from_transcript() && t.total.unwrap_or(0) == 0 => {
            Some("no tokens yet: no reply from Claude in its transcript so far".into())
        }
        Some(_) => None,
        // Only navi's hook writes the `tmux` block: this hook is navi's, it has not read
        // a transcript yet (or it is a navi from before tokens).
        None if s.tmux.is_some() => Some(
            "no tokens yet: navi's hook records them from Claude's transcript at its next \
             event (a navi older than this one never does: update it)"
                .into(),
        ),
        None => Some(match &s.remote {
            Some(r) => format!(
                "this machine's hook does not record tokens (the Go navi's shell hooks?): \
                 run `navi remotes setup {r}`"
            ),
            None => "this machine's hook does not record tokens (the Go navi's shell hooks?): \
                     run `navi hooks install`"
                .into(),
        }),
    }
}

/// The estimated cost, when the counts have what a price needs (cache split and model).
pub(crate) fn cost_of(s: &SessionInfo, prices: &PriceTable) -> Option<Cost> {
    cost::estimate(tokens(s)?, prices)
}

/// The `i` lines: (field, text).
pub(crate) fn detail_fields(s: &SessionInfo, prices: &PriceTable) -> Vec<(&'static str, String)> {
    if let Some(why) = why_none(s) {
        return vec![("tokens", format!("— {why}"))];
    }
    let Some(t) = tokens(s) else {
        return Vec::new();
    };
    let n = |v: Option<u64>| v.map_or("-".to_string(), short_count);
    let mut input = format!("in {}", n(t.input));
    if t.from_transcript() {
        let fresh = t
            .input
            .unwrap_or(0)
            .saturating_sub(t.cache_read.unwrap_or(0) + t.cache_creation.unwrap_or(0));
        input.push_str(&format!(
            " (fresh {} · cache read {} · cache write {})",
            short_count(fresh),
            n(t.cache_read),
            n(t.cache_creation)
        ));
    }
    let mut out = vec![(
        "tokens",
        format!("{input} · out {} · total {}", n(t.output), n(t.total)),
    )];
    if let Some(m) = &t.model {
        let others: Vec<&str> = t
            .models
            .iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .filter(|k| k != m)
            .collect();
        let text = match others.is_empty() {
            true => m.clone(),
            false => format!("{m} (also {})", others.join(", ")),
        };
        out.push(("model", text));
    }
    out.push(("cost", cost_text(cost_of(s, prices))));
    out
}

fn cost_text(c: Option<Cost>) -> String {
    match c {
        None => "— the file has no cache split or model (not written by navi's hook): \
                 no estimate"
            .into(),
        Some(c) if c.unpriced.is_empty() => format!(
            "~{} at list prices (table of {}; config.yaml prices: overrides)",
            cost::dollars(c.dollars),
            cost::PRICES_CHECKED
        ),
        Some(c) => format!(
            "~{} for the priced models; no price for {}: add it under prices: in config.yaml",
            cost::dollars(c.dollars),
            c.unpriced.join(", ")
        ),
    }
}

/// The row badge: `12.5k tok ~$0.42` (the cost when it can be estimated).
pub(crate) fn badge(s: &SessionInfo, prices: &PriceTable) -> Option<String> {
    let total = tokens(s)?.total.filter(|t| *t > 0)?;
    let mut t = format!("{} tok", short_count(total));
    if let Some(c) = cost_of(s, prices) {
        t.push_str(&format!(" ~{}", c.short()));
    }
    Some(t)
}

/// What the header sums over the rows shown (the Go navi's totals, with cost).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Totals {
    /// Tokens.
    pub tokens: u64,
    /// Session time, seconds.
    pub seconds: u64,
    /// Tool uses.
    pub tools: u64,
    /// Estimated cost of the rows that have one.
    pub cost: Option<Cost>,
}

/// The totals of the rows `model` shows (filters respected).
pub(crate) fn totals(model: &Model, prices: &PriceTable) -> Totals {
    let mut t = Totals::default();
    for s in model.rows() {
        let Some(m) = &s.metrics else { continue };
        t.tokens += m.tokens.as_ref().and_then(|x| x.total).unwrap_or(0);
        t.seconds += m.time.as_ref().and_then(|x| x.total_seconds).unwrap_or(0);
        t.tools += m
            .tools
            .as_ref()
            .and_then(|x| x.counts.as_ref())
            .map_or(0, |c| c.values().sum());
        if let Some(c) = cost_of(s, prices) {
            let sum = t.cost.get_or_insert_with(Cost::default);
            sum.dollars += c.dollars;
            sum.unpriced.extend(c.unpriced);
        }
    }
    t
}

/// `Σ 1.2M tok ~$3.40 · ⏱ 5h12m · 🔧 214` (parts with nothing left out), `None` when
/// every part is zero.
pub(crate) fn totals_text(t: &Totals, ascii: bool) -> Option<String> {
    let mut parts = Vec::new();
    if t.tokens > 0 {
        let mut p = format!("{} tok", short_count(t.tokens));
        if let Some(c) = &t.cost {
            p.push_str(&format!(" ~{}", c.short()));
        }
        parts.push(p);
    }
    let (clock, tool) = if ascii {
        ("time ", "tools ")
    } else {
        ("⏱ ", "🔧 ")
    };
    if t.seconds > 0 {
        parts.push(format!("{clock}{}", short_duration(t.seconds)));
    }
    if t.tools > 0 {
        parts.push(format!("{tool}{}", t.tools));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}
