//! Reading `~/.ssh/config` text: lines into keyword and words (OpenSSH's quoting),
//! `Include` patterns, and files read with a size cap.

use std::path::Path;

use super::MAX_FILE_BYTES;

/// `~/x`, an absolute path, or a path relative to `~/.ssh`, as a glob pattern.
pub(super) fn include_pattern(arg: &str, home: Option<&Path>) -> Result<String, String> {
    let escaped = |p: &Path| glob::Pattern::escape(&p.display().to_string());
    if arg.starts_with('/') {
        return Ok(arg.to_string());
    }
    let Some(home) = home else {
        return Err(format!(
            "`Include {arg}` needs the home directory, which is not known"
        ));
    };
    if arg == "~" {
        return Ok(escaped(home));
    }
    if let Some(rest) = arg.strip_prefix("~/") {
        return Ok(format!("{}/{rest}", escaped(home)));
    }
    if arg.starts_with('~') {
        return Err(format!(
            "`Include {arg}`: `~user` paths are not supported; write the full path"
        ));
    }
    Ok(format!("{}/{arg}", escaped(&home.join(".ssh"))))
}

/// `Ok(None)` when the file does not exist.
pub(super) fn read_capped(path: &Path) -> Result<Option<String>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: cannot read it: {e}", path.display())),
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{}: {} bytes, over the {MAX_FILE_BYTES}-byte limit; not read",
            path.display(),
            meta.len()
        ));
    }
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: cannot read it: {e}", path.display())),
    }
}

/// A line's keyword and arguments (double quotes group, `#` at a word's start begins a
/// comment); `None` for blank and comment lines. `Keyword=value` works too.
pub(super) fn split_line(line: &str) -> Option<(String, Vec<String>)> {
    let words = split_words(line.trim());
    let mut words = words.into_iter();
    let first = words.next()?;
    let (keyword, rest) = match first.split_once('=') {
        Some((k, v)) => (k.to_string(), (!v.is_empty()).then(|| v.to_string())),
        None => (first, None),
    };
    let mut args: Vec<String> = rest.into_iter().collect();
    for w in words {
        // `Keyword = value`: the `=` stands alone or leads the first argument.
        if args.is_empty() && w == "=" {
            continue;
        }
        match (args.is_empty(), w.strip_prefix('=')) {
            (true, Some(v)) if !v.is_empty() => args.push(v.to_string()),
            _ => args.push(w),
        }
    }
    if keyword.is_empty() {
        return None;
    }
    Some((keyword, args))
}

pub(super) fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut quoted = false;
    for c in s.chars() {
        if quoted {
            if c == '"' {
                quoted = false;
            } else {
                cur.push(c);
            }
        } else if c == '"' {
            quoted = true;
            has = true;
        } else if c.is_whitespace() {
            if has {
                words.push(std::mem::take(&mut cur));
                has = false;
            }
        } else if c == '#' && !has {
            break;
        } else {
            cur.push(c);
            has = true;
        }
    }
    if has {
        words.push(cur);
    }
    words
}
