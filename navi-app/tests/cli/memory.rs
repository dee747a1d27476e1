//! Memory end to end: a session whose second pane's child holds 64 MiB (with a
//! grandchild), its file written by `navi hook`; `navi list` samples it with the tmux
//! check and shows it in `--json` and `--wide`.

use super::*;

/// 64 MiB of `a` in a shell variable (written, so resident), a `sleep` grandchild, then
/// its pid and the variable's length in `$1`.
const ALLOC: &str = "x=$(head -c 67108864 /dev/zero | tr '\\000' a)\n\
                     sleep 600 &\n\
                     echo \"$! ${#x}\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n\
                     wait\n";

#[test]
fn list_shows_the_memory_of_the_sessions_process_tree() {
    let env = Env::new();
    let work = env.home.path().join("proj");
    std::fs::create_dir(&work).unwrap();
    let tmux = Tmux::start("mem", &work);
    let script = env.home.path().join("alloc.sh");
    std::fs::write(&script, ALLOC).unwrap();
    let ready = env.home.path().join("ready");
    // `; :` keeps the pane's shell as the allocating shell's parent.
    let run = format!("sh {} {}; :", dir(&script), dir(&ready));
    let out = tmux
        .cmd(&["new-window", "-d", "-t", "=mem:", "sh", "-c", &run])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for _ in 0..600 {
        if ready.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let said = std::fs::read_to_string(&ready).expect("the allocating child got ready");
    let grandchild = said.split(' ').next().unwrap_or_default().to_string();
    let sessions = env.home.path().join("sessions");
    let event = r#"{"hook_event_name": "Stop", "session_id": "s1"}"#;
    let out = hook(&env, &tmux, &sessions, event);
    assert!(out.status.success(), "{}", stderr(&out));

    let list = |args: &[&str]| {
        let mut cmd = env.command(&["list", "--sessions-dir", dir(&sessions)]);
        cmd.args(args);
        cmd.output().unwrap()
    };
    let out = list(&["--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["sessions"][0];
    let rss = s["memory"]["rss_bytes"].as_u64().unwrap_or(0);
    assert!(rss >= 64 * 1024 * 1024, "{s}");
    assert!(s["memory"]["sampled_at"].as_i64().unwrap_or(0) > 0, "{s}");
    assert_eq!(s["metrics"]["resource"]["rss_bytes"], rss, "{s}");
    let out = list(&["--wide"]);
    let text = stdout(&out);
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header[3..6], ["TOKENS", "COST", "MEM"], "{text}");
    let row: Vec<&str> = text.lines().nth(1).unwrap().split_whitespace().collect();
    let mem = row.iter().find(|c| c.ends_with('M')).copied().unwrap_or("");
    let mib: u64 = mem.trim_end_matches('M').parse().unwrap_or(0);
    assert!(mib >= 64, "{text}");
    let _ = std::process::Command::new("kill").arg(&grandchild).status();
}
