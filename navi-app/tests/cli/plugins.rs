//! Source plugins through the `navi` binary: the two example plugins in config.yaml
//! (`navi list --json`), a bad `sources:` entry named, and `navi plugin check` against a
//! good plugin and broken ones (each failure named).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{stderr, stdout, Env};

/// The example Rust plugin, built when this run of the tests has not built it.
fn plugin_dir_example() -> PathBuf {
    let navi = Path::new(env!("CARGO_BIN_EXE_navi"));
    let exe = navi.parent().unwrap().join("examples/plugin_dir");
    if !exe.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "navi-app", "--example", "plugin_dir"])
            .status()
            .unwrap();
        assert!(status.success());
    }
    exe
}

fn docker_example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/navi-source-docker.sh")
}

/// A `docker` on PATH whose containers `web` and `db` have HOMEs under `root`.
fn stub_docker(root: &Path) -> PathBuf {
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\ncase $1 in\n  ps) [ \"$2\" = --format ] && printf 'web\\ndb\\n'; exit 0 ;;\n  \
         exec) c=$2; shift 2; HOME='{}'/\"$c\" exec \"$@\" ;;\nesac\nexit 1\n",
        root.display()
    );
    let docker = bin.join("docker");
    std::fs::write(&docker, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    let web = root.join("web/.claude-sessions");
    std::fs::create_dir_all(&web).unwrap();
    std::fs::write(
        web.join("api.json"),
        "{\n  \"tmux_session\": \"api\",\n  \"status\": \"permission\",\n  \"cwd\": \"/app\",\n  \"timestamp\": 7\n}\n",
    )
    .unwrap();
    std::fs::write(web.join("broken.json"), "{\"tmux_sess").unwrap();
    std::fs::create_dir_all(root.join("db")).unwrap();
    bin
}

fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn both_example_plugins_are_sources_in_navi_list_json() {
    let env = Env::new();
    let home = env.home.path();
    let boxdir = home.join("box");
    std::fs::create_dir(&boxdir).unwrap();
    std::fs::write(
        boxdir.join("build.json"),
        r#"{"tmux_session":"build","status":"working","cwd":"/b","timestamp":9}"#,
    )
    .unwrap();
    let bin = stub_docker(&home.join("containers"));
    let config = home.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "sources:\n  - name: box\n    command: ['{}', '{}']\n  \
             - name: docker\n    command: [sh, '{}']\n  \
             - name: bad\n    command: 'sh -c x'\n",
            plugin_dir_example().display(),
            boxdir.display(),
            docker_example().display()
        ),
    )
    .unwrap();
    let empty = home.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = env
        .command(&["list", "--json", "--sessions-dir", empty.to_str().unwrap()])
        .env("NAVI_CONFIG", &config)
        .env("PATH", path_with(&bin))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut rows: Vec<(String, String, String)> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["remote"].as_str().unwrap_or("").to_string(),
                s["tmux_session"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("box".into(), "build".into(), "working".into()),
            ("docker".into(), "api@web".into(), "permission".into()),
        ],
        "{v}"
    );
    let sources = v["sources"].to_string();
    assert!(
        sources.contains("\"box\"") && sources.contains("\"docker\""),
        "{sources}"
    );
    assert!(
        stderr(&out).contains("field `sources[2].command`"),
        "the bad entry is named: {}",
        stderr(&out)
    );
}

fn check(env: &Env, command: &[&str], path: Option<&Path>) -> (bool, String) {
    let mut args = vec!["plugin", "check", "--"];
    args.extend_from_slice(command);
    let mut cmd = env.command(&args);
    if let Some(bin) = path {
        cmd.env("PATH", path_with(bin));
    }
    let out = cmd.output().unwrap();
    (out.status.success(), stdout(&out))
}

#[test]
fn navi_plugin_check_passes_good_plugins_and_names_each_failure_of_broken_ones() {
    let env = Env::new();
    let home = env.home.path();
    let dir = home.join("d");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("api.json"), r#"{"status":"done"}"#).unwrap();
    let rust = plugin_dir_example();
    let (ok, text) = check(&env, &[rust.to_str().unwrap(), dir.to_str().unwrap()], None);
    assert!(ok, "{text}");
    assert!(text.contains("ok    attach names the session"), "{text}");
    assert!(
        text.contains("ok    a broken request line costs only itself"),
        "{text}"
    );
    assert!(
        text.contains("ok    refuses an action it did not declare"),
        "{text}"
    );
    // What cannot be checked from outside says why.
    for name in [
        "its sessions are the ones it should list",
        "no sessions is zero rows, not an error",
        "a broken entry of its own costs only itself",
        "bad input is refused before it is sent",
        "a change wakes navi",
    ] {
        assert!(
            text.contains(&format!("skip  {name}: navi ")),
            "{name}: {text}"
        );
    }
    assert!(text.ends_with("0 of 16 checks failed\n"), "{text}");

    let bin = stub_docker(&home.join("containers"));
    let sh = docker_example();
    let (ok, text) = check(&env, &["sh", sh.to_str().unwrap()], Some(&bin));
    // Its first view is made of change lines; broken.json costs only its line.
    assert!(!ok, "{text}");
    assert!(
        text.contains("FAIL  snapshot: every session and line readable: plugin output line"),
        "{text}"
    );
    assert!(text.contains("ok    exits when its stdin closes"), "{text}");

    let (ok, text) = check(&env, &["sh", "-c", "echo I am not a plugin"], None);
    assert!(!ok);
    assert!(
        text.contains("FAIL  hello and first snapshot: ") && text.contains("not a hello"),
        "{text}"
    );

    // Says hello and a snapshot, then neither answers nor reads: every check that needs
    // an answer fails by name, and it is killed when it outlives its stdin.
    let mute = r#"echo '{"type":"hello","protocol":1,"actions":["kill"],"attach":true}'; echo '{"type":"snapshot","sessions":{"a":{"status":"done"}}}'; trap '' HUP; exec sleep 100"#;
    let (ok, text) = check(&env, &["sh", "-c", mute], None);
    assert!(!ok);
    for name in [
        "answers retry_now",
        "a broken request line costs only itself",
        "refuses a request it does not know",
        "refuses an action it did not declare",
        "refuses actions on a session it does not have",
        "attach names the session",
        "exits when its stdin closes",
    ] {
        assert!(text.contains(&format!("FAIL  {name}: ")), "{name}: {text}");
    }
    assert!(text.ends_with("7 of 16 checks failed\n"), "{text}");

    // Answers ok to everything: an unknown request and a kill of a session it lacks.
    let yes = r#"echo '{"type":"hello","protocol":1,"actions":["kill"],"attach":false}'; echo '{"type":"snapshot","sessions":{}}'; while read -r l; do id=$(printf '%s' "$l" | sed 's/.*"id":\([0-9]*\).*/\1/'); echo "{\"type\":\"answer\",\"id\":$id,\"ok\":true}"; done"#;
    let (ok, text) = check(&env, &["sh", "-c", yes], None);
    assert!(!ok);
    assert!(
        text.contains("FAIL  refuses a request it does not know: it answered ok"),
        "{text}"
    );
    assert!(
        text.contains("FAIL  refuses actions on a session it does not have: kill answered ok"),
        "{text}"
    );
    assert!(
        text.contains("FAIL  refuses an action it did not declare: preview answered ok"),
        "{text}"
    );
    assert!(text.contains("skip  attach names the session"), "{text}");
}

/// Both examples as sources of a dashboard drawn on ratatui's test backend: their rows
/// carry their labels; when the Rust plugin's directory goes, its source is unavailable
/// with the reason and its row stays, stale.
#[test]
fn both_example_plugins_on_a_test_backend_dashboard() {
    use std::sync::Arc;

    use navi_core::{Aggregator, Model};
    use navi_source_local::plugin::PluginSource;

    let env = Env::new();
    let home = env.home.path();
    let boxdir = home.join("box");
    std::fs::create_dir(&boxdir).unwrap();
    std::fs::write(
        boxdir.join("build.json"),
        r#"{"tmux_session":"build","status":"working","cwd":"/b","timestamp":9}"#,
    )
    .unwrap();
    let bin = stub_docker(&home.join("containers"));
    let rust = PluginSource::new(
        "box",
        vec![
            plugin_dir_example().display().to_string(),
            boxdir.display().to_string(),
        ],
    );
    let docker = PluginSource::new(
        "docker",
        vec![
            "env".into(),
            format!("PATH={}", path_with(&bin)),
            "sh".into(),
            docker_example().display().to_string(),
        ],
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut agg = Aggregator::new();
        agg.add_source(Arc::new(rust), PluginSource::OPTIONS);
        agg.add_source(Arc::new(docker), PluginSource::OPTIONS);
        let mut model = Model::new();
        model.update(Arc::new(agg.poll_once().await));
        let screen = draw(&model);
        for text in ["build", "[box]", "api@web", "[docker]"] {
            assert!(screen.contains(text), "{text}:\n{screen}");
        }

        std::fs::remove_dir_all(&boxdir).unwrap();
        // The plugin notices at its next poll (every 2 s) and says so in a health line.
        let mut snap = agg.poll_once().await;
        for _ in 0..100 {
            if snap.sessions.iter().any(|s| s.stale) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            snap = agg.poll_once().await;
        }
        let build = snap.sessions.iter().find(|s| s.tmux_session == "build");
        assert!(build.is_some_and(|s| s.stale), "{:?}", snap.sessions);
        let health = snap
            .sources
            .iter()
            .find(|h| h.name.as_deref() == Some("box"));
        let reason = format!("{health:?}");
        assert!(reason.contains("No such file"), "{reason}");
        model.update(Arc::new(snap));
        assert!(
            draw(&model).contains("build"),
            "the stale row is still listed"
        );
    });
}

fn draw(model: &navi_core::Model) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(110, 16)).unwrap();
    let mut ui = navi_app::UiState::default();
    terminal
        .draw(|f| navi_app::draw(f, model, &mut ui))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The Rust example plugin over temp status directories, as a source wrapped by `wrap`:
/// the conformance suite the Rust sources pass, run against a plugin.
struct PluginDirs {
    dirs: std::sync::Mutex<Vec<tempfile::TempDir>>,
    wrap: fn(navi_source_local::plugin::PluginSource) -> navi_core::DynSessionSource,
}

#[async_trait::async_trait]
impl navi_core::testing::ConformanceFixture for PluginDirs {
    async fn source_with(&self, files: &[(String, Vec<u8>)]) -> navi_core::DynSessionSource {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let argv = vec![
            plugin_dir_example().display().to_string(),
            dir.path().display().to_string(),
        ];
        let source = (self.wrap)(navi_source_local::plugin::PluginSource::new("box", argv));
        self.dirs.lock().unwrap().push(dir);
        source
    }

    async fn write(&self, name: &str, bytes: &[u8]) -> bool {
        let dirs = self.dirs.lock().unwrap();
        let Some(dir) = dirs.last() else { return false };
        // As the hook writes: a temp file renamed into place.
        let temp = dir.path().join(".tmp.conformance");
        std::fs::write(&temp, bytes).unwrap();
        std::fs::rename(&temp, dir.path().join(name)).unwrap();
        true
    }
}

fn conformance(wrap: fn(navi_source_local::plugin::PluginSource) -> navi_core::DynSessionSource) {
    let fixture = PluginDirs {
        dirs: std::sync::Mutex::default(),
        wrap,
    };
    // Two workers: attach waits for the plugin's answer synchronously.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let bound = navi_core::Deadline::after(std::time::Duration::from_secs(120));
        let finished = bound
            .run(navi_core::testing::run_conformance(&fixture))
            .await;
        assert!(finished.is_ok(), "the conformance suite finishes");
    });
}

/// A plugin is held to the suite the Rust sources pass: the example plugin over the
/// suite's status files (broken ones reported as skipped through the protocol, a file
/// written while navi waits wakes it).
#[test]
fn the_example_plugin_passes_the_conformance_suite() {
    conformance(|s| std::sync::Arc::new(s));
}

/// ... and under navi-core's wrappers, as the local and memory sources are.
#[test]
fn the_example_plugin_passes_the_conformance_suite_under_the_wrappers() {
    use std::time::Duration;
    conformance(|s| std::sync::Arc::new(navi_core::Bounded::new(s, Duration::from_secs(10))));
    conformance(|s| std::sync::Arc::new(navi_core::Latent::new(s, Duration::from_millis(2))));
}
