//! Reading a hook event from stdin without trusting its size, depth or encoding.
//!
//! Claude Code's events can be large (a `PostToolUse` carries the tool's whole input and
//! answer), deeply nested, and hold lone UTF-16 surrogate escapes (`"\ud83d"`, what
//! JavaScript's `JSON.stringify` writes for a string cut mid-emoji), which serde_json
//! rejects. The hook needs a handful of top-level fields, so the event is *scanned*: the
//! top-level object's keys are read one by one, the value of a key the hook uses is kept
//! (up to [`MAX_FIELD_BYTES`]), every other value is skipped byte by byte with a depth
//! counter (no recursion, nothing kept), and lone surrogates are replaced by U+FFFD
//! before a kept value is parsed. Memory stays small and the status is set whatever else
//! the event carries.

use std::io::{BufRead, Read};

use serde_json::{Map, Value};

/// The largest value of one kept field (a message, a tool's input). A bigger one is
/// dropped; the rest of the event still counts.
pub const MAX_FIELD_BYTES: usize = 1024 * 1024;

/// The top-level fields `navi hook` reads.
pub const FIELDS: &[&str] = &[
    "hook_event_name",
    "session_id",
    "cwd",
    "message",
    "notification_type",
    "tool_name",
    "tool_input",
    "tool_response",
    "teammate_name",
    "team_name",
    "transcript_path",
];

/// Reads the event on `input`: an object with the [`FIELDS`] it has (a field whose value
/// is too big or unreadable is left out). `Err` only when the input is not a JSON object.
pub fn read_event(input: impl Read) -> Result<Value, String> {
    let mut s = Scanner {
        r: std::io::BufReader::with_capacity(64 * 1024, input),
    };
    s.skip_ws()?;
    if s.next()? != Some(b'{') {
        return Err("the hook event is not a JSON object".into());
    }
    let mut out = Map::new();
    loop {
        s.skip_ws()?;
        match s.next()? {
            Some(b'}') => break,
            Some(b',') => continue,
            Some(b'"') => {}
            Some(c) => return Err(format!("unexpected `{}` in the hook event", c as char)),
            None => return Err("the hook event ends early".into()),
        }
        let key = s.string_raw(4096)?;
        s.skip_ws()?;
        if s.next()? != Some(b':') {
            return Err("a key without a value in the hook event".into());
        }
        s.skip_ws()?;
        let key = String::from_utf8_lossy(&key).into_owned();
        if FIELDS.contains(&key.as_str()) {
            if let Some(raw) = s.value_raw(MAX_FIELD_BYTES)? {
                let repaired = repair_surrogates(&raw);
                // Bytes that are not UTF-8 (a tool's binary output) become U+FFFD too.
                let text = String::from_utf8_lossy(&repaired);
                if let Ok(v) = serde_json::from_str::<Value>(&text) {
                    out.insert(key, v);
                }
            }
        } else {
            s.value_raw(0)?;
        }
    }
    // Read what follows too: Claude Code is writing it, and a reader that stops early
    // would leave it a broken pipe.
    std::io::copy(&mut s.r, &mut std::io::sink()).map_err(|e| e.to_string())?;
    Ok(Value::Object(out))
}

struct Scanner<R> {
    r: std::io::BufReader<R>,
}

impl<R: Read> Scanner<R> {
    fn peek(&mut self) -> Result<Option<u8>, String> {
        let buf = self.r.fill_buf().map_err(|e| e.to_string())?;
        Ok(buf.first().copied())
    }

    fn next(&mut self) -> Result<Option<u8>, String> {
        let b = self.peek()?;
        if b.is_some() {
            self.r.consume(1);
        }
        Ok(b)
    }

    fn skip_ws(&mut self) -> Result<(), String> {
        while let Some(b) = self.peek()? {
            if !b.is_ascii_whitespace() {
                break;
            }
            self.r.consume(1);
        }
        Ok(())
    }

    /// The bytes of a string whose opening quote was read, escapes as written, without
    /// the quotes (kept up to `cap` bytes, the rest read and dropped).
    fn string_raw(&mut self, cap: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.string_into(&mut out, cap)?;
        Ok(out)
    }

    fn string_into(&mut self, out: &mut Vec<u8>, cap: usize) -> Result<bool, String> {
        let mut fits = true;
        let ends_early = || "the hook event ends inside a string".to_string();
        loop {
            // Plain bytes are taken a buffer at a time, up to the next quote or escape.
            let buf = self.r.fill_buf().map_err(|e| e.to_string())?;
            if buf.is_empty() {
                return Err(ends_early());
            }
            let plain = buf
                .iter()
                .position(|b| matches!(b, b'"' | b'\\'))
                .unwrap_or(buf.len());
            let room = cap.saturating_sub(out.len());
            out.extend_from_slice(&buf[..plain.min(room)]);
            fits &= plain <= room;
            let special = buf.get(plain).copied();
            self.r.consume(plain);
            match special {
                None => continue,
                Some(b'"') => {
                    self.r.consume(1);
                    return Ok(fits);
                }
                Some(_) => {
                    self.r.consume(1);
                    let escaped = self.next()?.ok_or_else(ends_early)?;
                    if out.len() + 2 <= cap {
                        out.extend_from_slice(&[b'\\', escaped]);
                    } else {
                        fits = false;
                    }
                }
            }
        }
    }

    /// One value at the reader, as raw JSON text when it fits in `cap` bytes (`None`
    /// when it does not, or `cap` is 0: then it is only skipped). Nesting is counted, not
    /// recursed into.
    fn value_raw(&mut self, cap: usize) -> Result<Option<Vec<u8>>, String> {
        let mut out = Vec::new();
        let mut fits = cap > 0;
        let mut depth = 0usize;
        loop {
            let Some(b) = self.peek()? else {
                return Err("the hook event ends inside a value".into());
            };
            match b {
                b'"' => {
                    self.r.consume(1);
                    let mut s = Vec::new();
                    let room = cap.saturating_sub(out.len() + 2);
                    let whole = self.string_into(&mut s, room)?;
                    if fits && whole {
                        out.push(b'"');
                        out.extend_from_slice(&s);
                        out.push(b'"');
                    } else {
                        fits = false;
                    }
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.r.consume(1);
                    push(&mut out, &mut fits, cap, b);
                }
                b'}' | b']' => {
                    if depth == 0 {
                        // The end of the enclosing object: the value is over.
                        break;
                    }
                    depth -= 1;
                    self.r.consume(1);
                    push(&mut out, &mut fits, cap, b);
                }
                b',' if depth == 0 => break,
                _ => {
                    self.r.consume(1);
                    push(&mut out, &mut fits, cap, b);
                }
            }
            if depth == 0 && b != b',' {
                // A scalar ends at `,` or `}` (handled above); a string or container
                // that just closed ends the value.
                if matches!(b, b'"' | b'}' | b']') {
                    break;
                }
            }
        }
        Ok(fits.then_some(out))
    }
}

fn push(out: &mut Vec<u8>, fits: &mut bool, cap: usize, b: u8) {
    if *fits && out.len() < cap {
        out.push(b);
    } else {
        *fits = false;
    }
}

/// `\uD800`–`\uDFFF` escapes that are not a high surrogate followed by a low one become
/// `\uFFFD`; everything else is left as is (an escaped backslash is not an escape).
pub fn repair_surrogates(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    fn hex4(b: &[u8]) -> Option<u16> {
        let s = std::str::from_utf8(b.get(..4)?).ok()?;
        u16::from_str_radix(s, 16).ok()
    }
    if !raw
        .windows(3)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && matches!(w[2], b'd' | b'D'))
    {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && raw.get(i + 1) == Some(&b'u') {
            if let Some(u) = hex4(&raw[i + 2..]) {
                let high = (0xD800..0xDC00).contains(&u);
                let low = (0xDC00..0xE000).contains(&u);
                let paired_low = raw.get(i + 6) == Some(&b'\\')
                    && raw.get(i + 7) == Some(&b'u')
                    && hex4(raw.get(i + 8..).unwrap_or_default())
                        .is_some_and(|l| (0xDC00..0xE000).contains(&l));
                if high && paired_low {
                    out.extend_from_slice(&raw[i..i + 12]);
                    i += 12;
                    continue;
                }
                if high || low {
                    out.extend_from_slice(b"\\uFFFD");
                    i += 6;
                    continue;
                }
            }
        }
        if raw[i] == b'\\' && i + 1 < raw.len() {
            // Any other escape (including `\\`) is two bytes, copied as they are.
            out.extend_from_slice(&raw[i..i + 2]);
            i += 2;
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> Value {
        read_event(text.as_bytes()).unwrap()
    }

    #[test]
    fn the_fields_the_hook_uses_are_kept() {
        let v = read(
            r#" {"hook_event_name":"Notification","message":"Claude needs \"you\"","x":[1,{"a":"}"}],
                "tool_input":{"name":"t","n":[1,2]},"session_id":"s","cwd":"/a b","n":1.5e3,
                "transcript_path":"/h/.claude/projects/-a-b/s.jsonl"} "#,
        );
        assert_eq!(
            v,
            json!({"hook_event_name":"Notification","message":"Claude needs \"you\"",
                   "tool_input":{"name":"t","n":[1,2]},"session_id":"s","cwd":"/a b",
                   "transcript_path":"/h/.claude/projects/-a-b/s.jsonl"})
        );
        let v =
            read(r#"{"tool_name":"Bash","tool_response":"plain","hook_event_name":"PostToolUse"}"#);
        assert_eq!(v["tool_response"], "plain");
        assert_eq!(v["hook_event_name"], "PostToolUse");
        assert!(read_event(&b"[1]"[..]).is_err());
        assert!(read_event(&b"{\"hook_event_name\":\"Stop\""[..]).is_err());
    }

    #[test]
    fn lone_surrogates_become_the_replacement_character() {
        let v = read(
            r#"{"hook_event_name":"Notification","message":"cut \ud83d here \udc00, kept \ud83d\ude00, \\ud83d"}"#,
        );
        assert_eq!(v["message"], "cut \u{fffd} here \u{fffd}, kept 😀, \\ud83d");
    }

    #[test]
    fn huge_and_deep_values_cost_only_themselves() {
        let big = "x".repeat(20 * 1024 * 1024);
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let text = format!(
            r#"{{"tool_input":{{"content":"{big}"}},"tool_response":{deep},"hook_event_name":"PostToolUse","tool_name":"Write","other":{deep}}}"#
        );
        let v = read(&text);
        assert_eq!(v["hook_event_name"], "PostToolUse");
        assert_eq!(v["tool_name"], "Write");
        assert!(v.get("tool_input").is_none(), "over the cap: dropped");
        assert!(
            v.get("tool_response").is_none(),
            "too deep for serde: dropped"
        );
    }
}
