//! Every time limit and pace lives in `navi_core::limits`, and every wait that is bounded
//! goes through `navi_core::Deadline` (`navi-core/src/deadline.rs`): no other source file
//! of the workspace writes a literal duration, declares a `Duration` constant or calls
//! tokio's `timeout`/`timeout_at` itself. Test code (test modules and files, the
//! `testing` support) is left out: tests choose their own bounds.

use std::path::{Path, PathBuf};

/// The two files that may.
const OWNERS: [&str; 2] = ["navi-core/src/limits.rs", "navi-core/src/deadline.rs"];

/// Crates whose `src/` is read.
const CRATES: [&str; 4] = [
    "navi-core",
    "navi-source-local",
    "navi-source-ssh",
    "navi-app",
];

#[test]
fn time_limits_live_in_one_module_and_are_enforced_by_one_layer() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for krate in CRATES {
        let mut files = Vec::new();
        walk(&workspace.join(krate).join("src"), &mut files);
        for path in files {
            let rel = path
                .strip_prefix(&workspace)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            if OWNERS.contains(&rel.as_str()) || is_test_file(&rel) {
                continue;
            }
            let code = std::fs::read_to_string(&path).unwrap_or_default();
            found.extend(offences(&code).into_iter().map(|o| format!("{rel}: {o}")));
        }
    }
    assert!(
        found.is_empty(),
        "time decided outside navi_core::limits / navi_core::Deadline:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_each_kind_of_offence_and_skips_tests() {
    let code = "const WAIT: Duration = Duration::from_secs(3);\n\
                fn f() { tokio::time::timeout(x, y); timeout_at(d, y); }\n\
                fn g(n: u64) { Duration::from_millis(n); } // from_secs(1) in a comment\n\
                #[cfg(test)]\nmod tests;\nfn h() { sleep(Duration::from_millis( 7)) }\n\
                #[cfg(test)]\nmod tests { fn t() { Duration::from_secs(9); } }\n";
    let o = offences(code);
    assert_eq!(o.len(), 3, "{o:?}");
    assert!(o[0].contains("from_secs(3)"));
    assert!(o[1].contains("timeout"));
    assert!(
        o[2].contains("from_millis( 7)"),
        "a `mod tests;` line ends nothing"
    );
    assert!(is_test_file("navi-core/src/testing.rs"));
    assert!(is_test_file("navi-app/src/app/act_tests.rs"));
    assert!(is_test_file("navi-app/src/ui/tests/snapshots.rs"));
    assert!(!is_test_file("navi-app/src/app/act.rs"));
}

fn is_test_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name == "tests.rs"
        || name.ends_with("_tests.rs")
        || name == "testing.rs"
        || name == "test_support.rs"
        || rel.contains("/tests/")
}

/// The lines of `code` (test module and comments left out) that decide time.
fn offences(code: &str) -> Vec<String> {
    let code = match code.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &code[..at],
        None => code,
    };
    code.lines()
        .map(|l| l.find("//").map_or(l, |at| &l[..at]))
        .filter(|l| decides_time(l))
        .map(|l| l.trim().to_string())
        .collect()
}

fn decides_time(line: &str) -> bool {
    let literal = ["from_secs(", "from_millis(", "from_micros(", "from_nanos("]
        .iter()
        .any(|f| {
            line.match_indices(f).any(|(at, f)| {
                line[at + f.len()..]
                    .trim_start()
                    .starts_with(|c: char| c.is_ascii_digit())
            })
        });
    let constant = line.split("const ").skip(1).any(|rest| {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        !name.is_empty()
            && rest[name.len()..].trim_start().starts_with(':')
            && rest.contains("Duration")
    });
    // A call of tokio's `timeout`/`timeout_at` (imported or by path), not a method or a
    // function of that name being declared.
    let timeout = line.match_indices("timeout").any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = &line[at + "timeout".len()..];
        let call = after.starts_with('(') || after.starts_with("_at(");
        let declared = line[..at].trim_end().ends_with("fn");
        call && !declared && before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'))
            || line[..at].ends_with("time::") && call
    });
    literal || constant || timeout
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
