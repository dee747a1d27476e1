//! `~/.ssh/config` read as OpenSSH reads it: `Host` blocks (wildcards, `!` negation),
//! `Match` blocks, `Include` (globs; relative paths under `~/.ssh`; nested, scoped to
//! the block they appear in), first obtained value wins.
//!
//! ssh2-config parses the single options (`Port`, `IdentityFile`, `ProxyJump`, ...);
//! the file structure is read here because ssh2-config 0.9 knows no `Match`: it would
//! apply the options under a `Match` line to the `Host` block before it. Here a
//! `Match all` / `Match host` / `Match originalhost` block applies where it should, and
//! a `Match` on anything else (`exec`, `user`, `localnetwork`, ...) applies to no host
//! and is reported once, as is every line ssh2-config cannot read.
//!
//! Each option keeps its origin (file and line), so a warning can name where it is.

use std::fmt;
use std::path::{Path, PathBuf};

use ssh2_config::{DefaultAlgorithms, HostClause, HostParams, ParseRule, SshConfig};

/// Nested `Include`s deeper than this are refused (OpenSSH's limit).
const MAX_INCLUDE_DEPTH: usize = 16;
/// A config file larger than this is not read (real ones are a few KiB).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Where an option was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub(crate) file: PathBuf,
    pub(crate) line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}", self.file.display(), self.line)
    }
}

/// One option line as written: its keyword (as spelled), arguments (unquoted) and where
/// it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawOption {
    pub(crate) keyword: String,
    pub(crate) args: Vec<String>,
    pub(crate) origin: Origin,
}

impl RawOption {
    /// The keyword, lowercase (OpenSSH keywords are case-insensitive).
    pub(crate) fn key(&self) -> String {
        self.keyword.to_ascii_lowercase()
    }
}

/// A problem with the file itself (not with one remote): a line that cannot be read, an
/// unsupported `Match`, an `Include` that fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileProblem {
    pub(crate) file: PathBuf,
    pub(crate) message: String,
}

/// One condition of a block's scope; a block applies when all of its scope holds.
#[derive(Debug, Clone)]
enum Condition {
    /// `Host p1 !p2 ...`: some positive pattern matches and no negated one.
    Host(Vec<HostClause>),
    /// `Match` criteria that must all hold.
    Match(Vec<Criterion>),
    /// A `Match` navi cannot evaluate: applies to no host.
    Never,
}

#[derive(Debug, Clone)]
enum Criterion {
    All,
    /// `host` / `originalhost` pattern list (compared with the name as written).
    Host {
        patterns: Vec<HostClause>,
        negated: bool,
    },
}

#[derive(Debug, Clone)]
struct Block {
    scope: Vec<Condition>,
    options: Vec<RawOption>,
    params: HostParams,
}

/// A parsed `~/.ssh/config` (with everything it includes).
#[derive(Debug, Clone)]
pub(crate) struct SshFile {
    blocks: Vec<Block>,
}

/// The settings of one host: ssh2-config's parsed values (first obtained wins,
/// `IdentityFile`s accumulate) and every option line that applies, first per keyword
/// (every `IdentityFile`), in file order.
#[derive(Debug, Clone)]
pub(crate) struct HostView {
    pub(crate) params: HostParams,
    pub(crate) options: Vec<RawOption>,
}

impl HostView {
    /// The first obtained value of `keyword` (lowercase).
    pub(crate) fn option(&self, keyword: &str) -> Option<&RawOption> {
        self.options.iter().find(|o| o.key() == keyword)
    }
}

struct Reader<'a> {
    home: Option<&'a Path>,
    blocks: Vec<Block>,
    problems: Vec<FileProblem>,
    /// Canonical paths of the files being read (include cycles).
    stack: Vec<PathBuf>,
}

impl SshFile {
    /// Reads `path` (and what it includes). `Ok(None)`: the file does not exist.
    /// Problems inside the file are returned with it; only a main file that cannot be
    /// read at all is an `Err`.
    pub(crate) fn load(
        path: &Path,
        home: Option<&Path>,
    ) -> Result<Option<(SshFile, Vec<FileProblem>)>, String> {
        let text = match read_capped(path) {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut reader = Reader {
            home,
            blocks: Vec::new(),
            problems: Vec::new(),
            stack: vec![path.canonicalize().unwrap_or_else(|_| path.to_path_buf())],
        };
        reader.read_text(path, &text, &[], 0);
        Ok(Some((
            SshFile {
                blocks: reader.blocks,
            },
            reader.problems,
        )))
    }

    /// Parses `text` as if read from `path` (tests).
    #[cfg(test)]
    pub(crate) fn from_str(
        path: &Path,
        text: &str,
        home: Option<&Path>,
    ) -> (SshFile, Vec<FileProblem>) {
        let mut reader = Reader {
            home,
            blocks: Vec::new(),
            problems: Vec::new(),
            stack: Vec::new(),
        };
        reader.read_text(path, text, &[], 0);
        (
            SshFile {
                blocks: reader.blocks,
            },
            reader.problems,
        )
    }

    /// The settings of the host written as `alias` (OpenSSH matches the name given on
    /// its command line, case-insensitively).
    pub(crate) fn query(&self, alias: &str) -> HostView {
        let name = alias.to_ascii_lowercase();
        let mut params = HostParams::new(&DefaultAlgorithms::default());
        let mut options: Vec<RawOption> = Vec::new();
        for block in self.blocks.iter().filter(|b| applies(&b.scope, &name)) {
            params.overwrite_if_none(&block.params);
            for o in &block.options {
                let key = o.key();
                if key == "identityfile" || !options.iter().any(|seen| seen.key() == key) {
                    options.push(o.clone());
                }
            }
        }
        HostView { params, options }
    }
}

fn applies(scope: &[Condition], name: &str) -> bool {
    scope.iter().all(|c| match c {
        Condition::Host(clauses) => clauses_match(clauses, name),
        Condition::Match(criteria) => criteria.iter().all(|k| match k {
            Criterion::All => true,
            Criterion::Host { patterns, negated } => clauses_match(patterns, name) != *negated,
        }),
        Condition::Never => false,
    })
}

/// Some positive clause matches and no negated one (OpenSSH's pattern lists).
fn clauses_match(clauses: &[HostClause], name: &str) -> bool {
    let mut matched = false;
    for c in clauses {
        if c.intersects(name) {
            if c.negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

/// A pattern as a clause: `!` negates, compared lowercase.
fn clause(pattern: &str) -> HostClause {
    match pattern.strip_prefix('!') {
        Some(p) => HostClause::new(p.to_ascii_lowercase(), true),
        None => HostClause::new(pattern.to_ascii_lowercase(), false),
    }
}

impl Reader<'_> {
    fn problem(&mut self, file: &Path, message: String) {
        self.problems.push(FileProblem {
            file: file.to_path_buf(),
            message,
        });
    }

    /// Reads one file's text under `base` (the scope of the `Include` that brought it).
    fn read_text(&mut self, path: &Path, text: &str, base: &[Condition], depth: usize) {
        let mut scope: Vec<Condition> = base.to_vec();
        let mut current = Block::new(scope.clone());
        for (i, raw_line) in text.lines().enumerate() {
            let line_no = i + 1;
            let Some((keyword, args)) = split_line(raw_line) else {
                continue;
            };
            let origin = Origin {
                file: path.to_path_buf(),
                line: line_no,
            };
            match keyword.to_ascii_lowercase().as_str() {
                "host" => {
                    self.flush(&mut current);
                    if args.is_empty() {
                        self.problem(path, format!("line {line_no}: `Host` without a pattern; the block applies to no host"));
                        scope = base.to_vec();
                        scope.push(Condition::Never);
                    } else {
                        scope = base.to_vec();
                        scope.push(Condition::Host(args.iter().map(|a| clause(a)).collect()));
                    }
                    current = Block::new(scope.clone());
                }
                "match" => {
                    self.flush(&mut current);
                    scope = base.to_vec();
                    scope.push(self.match_condition(&origin, &args));
                    current = Block::new(scope.clone());
                }
                "include" => {
                    self.flush(&mut current);
                    self.include(&origin, &args, &scope, depth);
                    current = Block::new(scope.clone());
                }
                _ => current.add(self, keyword, args, origin, raw_line),
            }
        }
        self.flush(&mut current);
    }

    fn flush(&mut self, block: &mut Block) {
        if !block.options.is_empty() {
            let scope = block.scope.clone();
            self.blocks
                .push(std::mem::replace(block, Block::new(scope)));
        }
    }

    /// The condition of a `Match` line: `all`, `[!]host LIST`, `[!]originalhost LIST`
    /// are evaluated; anything else makes the block apply to no host (reported).
    fn match_condition(&mut self, origin: &Origin, args: &[String]) -> Condition {
        let mut criteria = Vec::new();
        let mut it = args.iter();
        while let Some(word) = it.next() {
            let lower = word.to_ascii_lowercase();
            let (negated, name) = match lower.strip_prefix('!') {
                Some(n) => (true, n.to_string()),
                None => (false, lower.clone()),
            };
            match name.as_str() {
                "all" if !negated => criteria.push(Criterion::All),
                "host" | "originalhost" => match it.next() {
                    Some(list) => criteria.push(Criterion::Host {
                        patterns: list.split(',').map(clause).collect(),
                        negated,
                    }),
                    None => {
                        self.problem(
                            &origin.file,
                            format!(
                                "line {}: `Match {word}` without a pattern list; the block \
                                 applies to no host",
                                origin.line
                            ),
                        );
                        return Condition::Never;
                    }
                },
                _ => {
                    self.problem(
                        &origin.file,
                        format!(
                            "line {}: `Match {word}` is not supported by navi (only `all`, \
                             `host` and `originalhost`); the options of this Match block are \
                             not applied to any remote",
                            origin.line
                        ),
                    );
                    return Condition::Never;
                }
            }
        }
        if criteria.is_empty() {
            self.problem(
                &origin.file,
                format!(
                    "line {}: `Match` without criteria; the block applies to no host",
                    origin.line
                ),
            );
            return Condition::Never;
        }
        Condition::Match(criteria)
    }

    /// `Include FILE...`: globs, `~`, relative paths under `~/.ssh`; every file found
    /// is read under the scope of the line.
    fn include(&mut self, origin: &Origin, args: &[String], scope: &[Condition], depth: usize) {
        if depth + 1 > MAX_INCLUDE_DEPTH {
            self.problem(
                &origin.file,
                format!(
                    "line {}: `Include` nested more than {MAX_INCLUDE_DEPTH} deep; not read",
                    origin.line
                ),
            );
            return;
        }
        if args.is_empty() {
            self.problem(
                &origin.file,
                format!("line {}: `Include` without a file", origin.line),
            );
            return;
        }
        for arg in args {
            let pattern = match include_pattern(arg, self.home) {
                Ok(p) => p,
                Err(m) => {
                    self.problem(&origin.file, format!("line {}: {m}", origin.line));
                    continue;
                }
            };
            let paths = match glob::glob(&pattern) {
                Ok(paths) => paths,
                Err(e) => {
                    self.problem(
                        &origin.file,
                        format!("line {}: `Include {arg}`: {e}", origin.line),
                    );
                    continue;
                }
            };
            // No match is no file, as for OpenSSH.
            for entry in paths {
                let file = match entry {
                    Ok(f) => f,
                    Err(e) => {
                        self.problem(
                            &origin.file,
                            format!("line {}: `Include {arg}`: {e}", origin.line),
                        );
                        continue;
                    }
                };
                if file.is_dir() {
                    continue;
                }
                self.include_file(origin, &file, scope, depth);
            }
        }
    }

    fn include_file(&mut self, origin: &Origin, file: &Path, scope: &[Condition], depth: usize) {
        let canonical = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
        if self.stack.contains(&canonical) {
            self.problem(
                &origin.file,
                format!(
                    "line {}: `Include` of {} would include itself again; not read twice",
                    origin.line,
                    file.display()
                ),
            );
            return;
        }
        match read_capped(file) {
            Ok(Some(text)) => {
                self.stack.push(canonical);
                self.read_text(file, &text, scope, depth + 1);
                self.stack.pop();
            }
            Ok(None) => {}
            Err(m) => self.problem(
                &origin.file,
                format!("line {}: included file {m}", origin.line),
            ),
        }
    }
}

impl Block {
    fn new(scope: Vec<Condition>) -> Block {
        Block {
            scope,
            options: Vec::new(),
            params: HostParams::new(&DefaultAlgorithms::default()),
        }
    }

    /// One option line: its value parsed by ssh2-config (a line it cannot read is
    /// reported and left out), kept raw with its origin.
    fn add(
        &mut self,
        reader: &mut Reader<'_>,
        keyword: String,
        args: Vec<String>,
        origin: Origin,
        line: &str,
    ) {
        let mut cfg = SshConfig::default();
        if let Some(home) = reader.home {
            cfg = cfg.home_dir(home);
        }
        let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
        match cfg.parse(&mut line.trim().as_bytes(), rules) {
            Ok(parsed) => {
                let params = parsed.query("*");
                self.params.overwrite_if_none(&params);
            }
            Err(e) => {
                reader.problem(
                    &origin.file,
                    format!(
                        "line {}: `{keyword}` cannot be read ({e}); the line is ignored",
                        origin.line
                    ),
                );
                return;
            }
        }
        self.options.push(RawOption {
            keyword,
            args,
            origin,
        });
    }
}

#[cfg(test)]
#[path = "ssh_file_tests.rs"]
mod tests;

#[path = "ssh_file_text.rs"]
mod text;
use text::{include_pattern, read_capped, split_line};
