//! No module of navi-app (nor of navi-source-ssh) imports a module that imports it
//! back, directly or through others: a cycle makes every file in it change with the others. Reads the
//! `crate::…` and `super::…` paths of every source file (test modules left out), one
//! node per file, and fails naming each cycle and the imports that close it.

// Tests may unwrap.
#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// module path (`app::act`, `""` for the crate root) -> (file, code).
type Tree = BTreeMap<String, (String, String)>;
/// from -> to -> the names `from` takes from `to`.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

#[test]
fn navi_app_modules_import_each_other_in_no_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let cycles = cycles(&read_tree(&root));
    assert!(
        cycles.is_empty(),
        "import cycles in navi-app/src:\n{}",
        cycles.join("\n")
    );
}

/// The same for navi-source-ssh, the whole crate (its pool included): the connection
/// knows no channel kind (the pool keeps a remote's loops beside it), the actions'
/// dispatch sits above the marks and acknowledge that build on `On`.
#[test]
fn the_ssh_crate_modules_import_each_other_in_no_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../navi-source-ssh/src");
    let cycles = cycles(&read_tree(&root));
    assert!(
        cycles.is_empty(),
        "import cycles in navi-source-ssh/src:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_check_finds_a_cycle_and_names_it() {
    let tree = |files: &[(&str, &str)]| -> Tree {
        files
            .iter()
            .filter_map(|(f, code)| Some((module_of(f)?, (f.to_string(), code.to_string()))))
            .collect()
    };
    let looped = tree(&[
        ("lib.rs", "mod a; mod b;"),
        ("a.rs", "use crate::b::{self, Thing};"),
        ("b/mod.rs", "fn f() { super::a::run() }"),
        (
            "b/c.rs",
            "use super::super::a; // crate::b is not read in comments",
        ),
    ]);
    let found = cycles(&looped);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("a.rs -> b/mod.rs (Thing, self)"),
        "{found:?}"
    );
    assert!(found[0].contains("b/mod.rs -> a.rs (run)"), "{found:?}");
    let clean = tree(&[("a.rs", "use crate::b::X;"), ("b.rs", "use crate::c::Y;")]);
    assert!(cycles(&clean).is_empty());
}

/// Every `.rs` file under `root` but tests (`tests.rs`, `*_tests.rs`, `tests/`).
fn read_tree(root: &Path) -> Tree {
    let mut files = Vec::new();
    walk(root, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(root).ok()?.to_str()?.to_string();
            let module = module_of(&rel)?;
            let code = std::fs::read_to_string(&path).unwrap();
            Some((module, (rel, code)))
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `app/act.rs` -> `app::act`, `app/mod.rs` -> `app`, `lib.rs` -> ``; none for tests and
/// `main.rs` (another crate).
fn module_of(rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = rel.strip_suffix(".rs")?.split('/').collect();
    let last = *parts.last()?;
    let test = parts.contains(&"tests") || last.ends_with("_tests");
    if test || last == "main" {
        return None;
    }
    if last == "mod" || last == "lib" {
        parts.pop();
    }
    Some(parts.join("::"))
}

/// The cycles of `tree`, each as one line naming its files and the imports inside it.
fn cycles(tree: &Tree) -> Vec<String> {
    let graph = graph(tree);
    let file = |m: &String| tree[m].0.clone();
    strongly_connected(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|component| {
            let mut files: Vec<String> = component.iter().map(file).collect();
            files.sort();
            let mut ties = Vec::new();
            for from in &component {
                for (to, names) in graph.get(from).into_iter().flatten() {
                    if component.contains(to) {
                        let names: Vec<&str> = names.iter().map(String::as_str).collect();
                        ties.push(format!(
                            "{} -> {} ({})",
                            file(from),
                            file(to),
                            names.join(", ")
                        ));
                    }
                }
            }
            ties.sort();
            format!("cycle of {}: {}", files.join(", "), ties.join("; "))
        })
        .collect()
}

fn graph(tree: &Tree) -> Graph {
    let mut graph = Graph::new();
    for (module, (_, code)) in tree {
        let parent: Vec<String> = match module.rsplit_once("::") {
            Some((p, _)) => p.split("::").map(String::from).collect(),
            None => Vec::new(),
        };
        let mut paths = Vec::new();
        let code = without_comments_and_tests(code);
        for (at, word) in starts(&code) {
            let prefix = if word == "crate" {
                Vec::new()
            } else {
                parent.clone()
            };
            expand(&code[at..], prefix, &mut paths);
        }
        for path in paths {
            let Some((target, name)) = resolve(tree, &path) else {
                continue;
            };
            if &target != module {
                let names = graph.entry(module.clone()).or_default();
                names.entry(target).or_default().insert(name);
            }
        }
    }
    graph
}

/// Each `crate::` or `super::` that starts a path: (where its rest starts, which word).
fn starts(code: &str) -> Vec<(usize, &'static str)> {
    let mut out = Vec::new();
    for word in ["crate", "super"] {
        let pattern = format!("{word}::");
        for (at, _) in code.match_indices(&pattern) {
            let before = code[..at].chars().next_back();
            let inside_a_path = before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            if !inside_a_path {
                out.push((at + pattern.len(), word));
            }
        }
    }
    out
}

/// Reads the path at the start of `code` (after `crate::`/`super::`), with `{a, b::c}`
/// groups, appending each whole path to `out`.
fn expand(code: &str, mut path: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut rest = code.trim_start();
    loop {
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len > 0 {
            path.push(rest[..len].to_string());
            rest = rest[len..].trim_start();
            match rest.strip_prefix("::") {
                Some(more) => rest = more.trim_start(),
                None => break out.push(path),
            }
        } else if let Some(group) = rest.strip_prefix('{') {
            for item in top_level_items(group) {
                expand(item, path.clone(), out);
            }
            break;
        } else {
            break out.push(path);
        }
    }
}

/// The comma-separated items of a `{…}` group whose opening brace is already read.
fn top_level_items(group: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (1, 0, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' | ',' if depth == 1 => {
                items.push(&group[start..i]);
                start = i + 1;
                if c == '}' {
                    break;
                }
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    items.into_iter().filter(|i| !i.trim().is_empty()).collect()
}

/// The file a path lands in (the longest prefix that is a module) and the name taken.
fn resolve(tree: &Tree, path: &[String]) -> Option<(String, String)> {
    let mut segments: Vec<&str> = Vec::new();
    for s in path {
        match s.as_str() {
            "super" => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let name = segments.last().copied().unwrap_or("").to_string();
    (0..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|m| tree.contains_key(m))
        .map(|m| (m, name))
}

/// The code without `//` comments and without the inline `mod tests { … }` at the end.
fn without_comments_and_tests(code: &str) -> String {
    let code = match code.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &code[..at],
        None => code,
    };
    code.lines()
        .map(|l| l.find("//").map_or(l, |at| &l[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Tarjan's strongly connected components.
fn strongly_connected(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flat_map(|m| m.keys()) {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let low = s.low[v].min(s.low[w.as_str()]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w.as_str()) {
                let low = s.low[v].min(s.index[w.as_str()]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            s.found.push(component);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}
