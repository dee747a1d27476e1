//! The new text of an edited JSON text ([`super::spans`]): every value the edit did not
//! change is copied byte for byte; a changed container keeps the text around each element
//! it keeps; appended values are rendered in the file's own style.
//!
//! Removing and appending are exact inverses: an element appended after the last one is
//! written as a copy of the separator before the last one (or `,` and the text after the
//! opening bracket when there was one element) followed by the element, and removing an
//! element that is not the first removes the separator before it with it. So an uninstall
//! gives back the bytes the install started from.

use serde_json::Value;

use super::spans::{Container, Elem, Kind, Node};

/// How the file lays out its values, for the ones navi adds.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Style {
    /// `\r\n` when the file has Windows line ends.
    nl: &'static str,
    /// One level of indentation, or `None` when the file is written on one line.
    unit: Option<String>,
    /// Between a key and its value (`": "`, `":"`, `" : "`).
    colon: String,
    /// Between the elements of a container written on one line (`", "`, `","`).
    comma: String,
}

impl Style {
    /// The style of `text`, read from its top-level object `root`: the indentation of the
    /// first member, the text between the first key and its value, the separator between
    /// the first two members. An empty object gets serde_json's pretty style.
    pub fn of(text: &str, root: &Node) -> Style {
        let nl = match text.contains("\r\n") {
            true => "\r\n",
            false => "\n",
        };
        let mut style = Style {
            nl,
            unit: Some("  ".to_string()),
            colon: ": ".to_string(),
            comma: ", ".to_string(),
        };
        let Kind::Object(c) = &root.kind else {
            return style;
        };
        let Some(first) = c.elems.first() else {
            return style;
        };
        style.unit = indent_after(&text[root.start + 1..first.start]).map(str::to_string);
        if let Some(colon) = colon_of(text, first) {
            style.colon = colon.to_string();
        }
        if let Some(second) = c.elems.get(1) {
            let sep = &text[first.value.end..second.start];
            if !sep.contains('\n') {
                style.comma = sep.trim_start().to_string();
            }
        }
        style
    }
}

/// The indentation of the line a separator ends on: the text after its last line end, or
/// `None` when the separator stays on one line.
fn indent_after(sep: &str) -> Option<&str> {
    sep.rfind('\n').map(|i| &sep[i + 1..])
}

/// The text between a member's key and its value, when it is on one line.
fn colon_of<'t>(text: &'t str, member: &Elem) -> Option<&'t str> {
    let (_, key_end) = member.key.as_ref()?;
    let colon = &text[*key_end..member.value.start];
    (!colon.contains('\n')).then_some(colon)
}

/// The new text of `node` (a value of `text`) after its edits.
pub(super) fn render(text: &str, node: &Node, style: &Style, out: &mut String) {
    let (c, open, close) = match &node.kind {
        Kind::Array(c) if node.changed() => (c, '[', ']'),
        Kind::Object(c) if node.changed() => (c, '{', '}'),
        _ => return out.push_str(&text[node.start..node.end]),
    };
    out.push(open);
    match c.elems.is_empty() {
        true => render_into_empty(text, node, c, style, out),
        false => render_elements(text, node, c, style, out),
    }
    out.push(close);
}

/// The inside of a container that had elements.
fn render_elements(text: &str, node: &Node, c: &Container, style: &Style, out: &mut String) {
    let n = c.elems.len();
    let lead = &text[node.start + 1..c.elems[0].start];
    let trail = &text[c.elems[n - 1].value.end..node.end - 1];
    let sep = |i: usize| &text[c.elems[i].value.end..c.elems[i + 1].start];
    let mut empty = true;
    for (i, e) in c.elems.iter().enumerate().filter(|(_, e)| !e.removed) {
        // The first one kept takes the text after the bracket; any other the separator
        // before it (the one removed with a removed element before it is not written).
        out.push_str(if empty { lead } else { sep(i - 1) });
        render_elem(text, e, style, out);
        empty = false;
    }
    if !c.added.is_empty() {
        let joint = match n {
            1 if lead.contains('\n') => format!(",{lead}"),
            1 => style.comma.clone(),
            _ => sep(n - 2).to_string(),
        };
        let indent = indent_after(&joint);
        let colon = c.elems.iter().find_map(|e| colon_of(text, e));
        for (key, value) in &c.added {
            out.push_str(if empty { lead } else { &joint });
            let colon = colon.unwrap_or(&style.colon);
            render_new(key.as_deref(), value, indent, colon, style, out);
            empty = false;
        }
    }
    // Everything removed: `[]`, as the container would be written from scratch.
    if !empty {
        out.push_str(trail);
    }
}

/// The inside of a container that was empty, with the values appended to it: one a line,
/// one level deeper than the line the container is on (on one line in a one-line file).
fn render_into_empty(text: &str, node: &Node, c: &Container, style: &Style, out: &mut String) {
    let line_start = text[..node.start].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..node.start];
    let own = &line[..line.len() - line.trim_start().len()];
    let child = style.unit.as_ref().map(|u| format!("{own}{u}"));
    for (i, (key, value)) in c.added.iter().enumerate() {
        match &child {
            Some(child) => {
                out.push_str(if i == 0 { "" } else { "," });
                out.push_str(style.nl);
                out.push_str(child);
            }
            None if i > 0 => out.push_str(&style.comma),
            None => {}
        }
        render_new(
            key.as_deref(),
            value,
            child.as_deref(),
            &style.colon,
            style,
            out,
        );
    }
    if child.is_some() && !c.added.is_empty() {
        out.push_str(style.nl);
        out.push_str(own);
    }
}

fn render_elem(text: &str, e: &Elem, style: &Style, out: &mut String) {
    match e.value.changed() {
        true => {
            out.push_str(&text[e.start..e.value.start]);
            render(text, &e.value, style, out);
        }
        false => out.push_str(&text[e.start..e.value.end]),
    }
}

/// A new element (a member with its `key`): pretty at `indent` (the indentation of its
/// first line), or on one line when the container is on one line.
fn render_new(
    key: Option<&str>,
    value: &Value,
    indent: Option<&str>,
    colon: &str,
    style: &Style,
    out: &mut String,
) {
    if let Some(key) = key {
        out.push_str(&Value::from(key).to_string());
        out.push_str(colon);
    }
    match indent {
        Some(indent) => pretty(value, indent, style, out),
        None => one_line(value, style, out),
    }
}

fn pretty(value: &Value, indent: &str, style: &Style, out: &mut String) {
    let (open, close, items): (char, char, Vec<(Option<&str>, &Value)>) = match value {
        Value::Object(m) if !m.is_empty() => (
            '{',
            '}',
            m.iter().map(|(k, v)| (Some(k.as_str()), v)).collect(),
        ),
        Value::Array(a) if !a.is_empty() => ('[', ']', a.iter().map(|v| (None, v)).collect()),
        v => return out.push_str(&v.to_string()),
    };
    let inner = format!("{indent}{}", style.unit.as_deref().unwrap_or("  "));
    out.push(open);
    for (i, (key, v)) in items.into_iter().enumerate() {
        out.push_str(if i == 0 { "" } else { "," });
        out.push_str(style.nl);
        out.push_str(&inner);
        if let Some(key) = key {
            out.push_str(&Value::from(key).to_string());
            out.push_str(&style.colon);
        }
        pretty(v, &inner, style, out);
    }
    out.push_str(style.nl);
    out.push_str(indent);
    out.push(close);
}

fn one_line(value: &Value, style: &Style, out: &mut String) {
    let colon = &style.colon;
    match value {
        Value::Object(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                out.push_str(if i == 0 { "" } else { &style.comma });
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push_str(colon);
                one_line(v, style, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                out.push_str(if i == 0 { "" } else { &style.comma });
                one_line(v, style, out);
            }
            out.push(']');
        }
        v => out.push_str(&v.to_string()),
    }
}
