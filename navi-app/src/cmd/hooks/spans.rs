//! Where each value of a JSON text is, byte for byte, so that `navi hooks install` can
//! change its own entries and copy everything else exactly as the user wrote it.
//!
//! A parsed `serde_json::Value` cannot give a file back: `12345678901234567890123` becomes
//! `1.2345678901234568e+22`, `1e2` becomes `100.0`, whitespace and indentation are lost.
//! (serde_json's `arbitrary_precision` would keep numbers, but it breaks
//! `#[serde(flatten)]` elsewhere in the workspace.) So the installer scans the text into
//! spans here, marks what it removes and appends, and [`super::splice`] writes a new text
//! that re-renders only the containers it changed.

use serde_json::Value;

/// JSON texts nested deeper than this are refused (serde_json refuses them too), so the
/// scanner's recursion stays bounded.
const MAX_DEPTH: usize = 128;

/// One value of the text: `text[start..end]`.
#[derive(Debug)]
pub(super) struct Node {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

/// What a [`Node`] is.
#[derive(Debug)]
pub(super) enum Kind {
    /// A string, number, `true`, `false` or `null`: always copied as written.
    Scalar,
    Array(Container),
    Object(Container),
}

/// The elements of an array or the members of an object, and what an edit did to them.
#[derive(Debug, Default)]
pub(super) struct Container {
    pub elems: Vec<Elem>,
    /// Values appended at the end (with their key in an object), rendered in the file's
    /// style by [`super::splice`].
    pub added: Vec<(Option<String>, Value)>,
}

/// An element of an array, or a member of an object (`"key": value`).
#[derive(Debug)]
pub(super) struct Elem {
    /// Where the element starts: the key's opening quote for a member, else the value.
    pub start: usize,
    /// A member's key, decoded (`"ho\u006bks"` is `hooks`), and where its text ends.
    pub key: Option<(String, usize)>,
    pub value: Node,
    /// Left out of the new text.
    pub removed: bool,
}

/// Why a text could not be scanned (the byte offset and what was expected there).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ScanError {
    pub at: usize,
    pub what: &'static str,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

impl Container {
    /// The index of the member named `key`; an error when the object has it twice (a
    /// parser keeps one of them, and which one is not for navi to guess).
    pub fn member(&self, key: &str) -> Result<Option<usize>, String> {
        let mut found = None;
        for (i, e) in self.elems.iter().enumerate() {
            if e.key.as_ref().is_some_and(|(k, _)| k == key) {
                if found.is_some() {
                    return Err(format!("{key:?} appears twice in the same object"));
                }
                found = Some(i);
            }
        }
        Ok(found)
    }
}

impl Node {
    /// Whether an edit removed or appended anything at or under this value.
    pub fn changed(&self) -> bool {
        match &self.kind {
            Kind::Scalar => false,
            Kind::Array(c) | Kind::Object(c) => {
                !c.added.is_empty() || c.elems.iter().any(|e| e.removed || e.value.changed())
            }
        }
    }

    /// The value as a string, when it is a JSON string.
    pub fn as_str(&self, text: &str) -> Option<String> {
        let raw = text.get(self.start..self.end)?;
        match (&self.kind, raw.starts_with('"')) {
            (Kind::Scalar, true) => serde_json::from_str(raw).ok(),
            _ => None,
        }
    }
}

/// The spans of the JSON text `text` (one value, whitespace around it allowed).
pub(super) fn scan(text: &str) -> Result<Node, ScanError> {
    let mut s = Scanner {
        text,
        b: text.as_bytes(),
        pos: 0,
    };
    s.ws();
    let node = s.value(0)?;
    s.ws();
    match s.pos == s.b.len() {
        true => Ok(node),
        false => Err(s.err("text after the JSON value")),
    }
}

struct Scanner<'t> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn err(&self, what: &'static str) -> ScanError {
        ScanError { at: self.pos, what }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8, what: &'static str) -> Result<(), ScanError> {
        match self.peek() == Some(byte) {
            true => {
                self.pos += 1;
                Ok(())
            }
            false => Err(self.err(what)),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ScanError> {
        let start = self.pos;
        let kind = match self.peek() {
            Some(b'{') | Some(b'[') if depth >= MAX_DEPTH => {
                return Err(self.err("JSON nested deeper than 128 levels"));
            }
            Some(b'{') => Kind::Object(self.container(depth, b'}')?),
            Some(b'[') => Kind::Array(self.container(depth, b']')?),
            Some(b'"') => {
                self.string()?;
                Kind::Scalar
            }
            Some(b't') => self.literal("true")?,
            Some(b'f') => self.literal("false")?,
            Some(b'n') => self.literal("null")?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.err("a JSON value expected")),
        };
        Ok(Node {
            start,
            end: self.pos,
            kind,
        })
    }

    /// An object (members `"key": value`) or an array, from its opening bracket.
    fn container(&mut self, depth: usize, close: u8) -> Result<Container, ScanError> {
        self.pos += 1;
        let mut c = Container::default();
        self.ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(c);
        }
        loop {
            let start = self.pos;
            let key = match close {
                b'}' => {
                    self.string()?;
                    let key_end = self.pos;
                    let name = serde_json::from_str::<String>(&self.text[start..key_end]).map_err(
                        |_| ScanError {
                            at: start,
                            what: "a key that is not a valid string",
                        },
                    )?;
                    self.ws();
                    self.eat(b':', "':' expected after a key")?;
                    self.ws();
                    Some((name, key_end))
                }
                _ => None,
            };
            let value = self.value(depth + 1)?;
            c.elems.push(Elem {
                start,
                key,
                value,
                removed: false,
            });
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b) if b == close => {
                    self.pos += 1;
                    return Ok(c);
                }
                _ => return Err(self.err("',' or a closing bracket expected")),
            }
        }
    }

    fn string(&mut self) -> Result<(), ScanError> {
        self.eat(b'"', "a string expected")?;
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(h) if h.is_ascii_hexdigit() => self.pos += 1,
                                    _ => return Err(self.err("four hex digits expected")),
                                }
                            }
                        }
                        _ => return Err(self.err("an invalid escape in a string")),
                    }
                }
                Some(0..=0x1f) => return Err(self.err("a control character in a string")),
                // Bytes of multi-byte characters are never a quote or a backslash.
                Some(_) => self.pos += 1,
                None => return Err(self.err("a string not closed")),
            }
        }
    }

    fn literal(&mut self, word: &'static str) -> Result<Kind, ScanError> {
        match self.b[self.pos..].starts_with(word.as_bytes()) {
            true => {
                self.pos += word.len();
                Ok(Kind::Scalar)
            }
            false => Err(self.err("a JSON value expected")),
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, kept as written.
    fn number(&mut self) -> Result<Kind, ScanError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("a digit expected")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.some_digits()?;
        }
        Ok(Kind::Scalar)
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn some_digits(&mut self) -> Result<(), ScanError> {
        let start = self.pos;
        self.digits();
        match self.pos > start {
            true => Ok(()),
            false => Err(self.err("a digit expected")),
        }
    }
}
