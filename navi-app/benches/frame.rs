//! One dashboard frame of 1,000 session rows, drawn into ratatui's `TestBackend`.
//!
//! Run: `cargo bench -p navi-app --bench frame`; figures go into `docs/benchmarks.md`.

// A benchmark panics on broken fixture data by design: it is not user input.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use navi_app::UiState;
use navi_core::{Model, SessionInfo, Snapshot, SourceHealth};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn main() {
    let mut sessions: Vec<Arc<SessionInfo>> = (0..1000)
        .map(|i| {
            let text = format!(
                r#"{{"tmux_session":"session-{i}","status":"{}","message":"Implementing feature {i}: \u001b[31mred\u001b[0m text","cwd":"/home/sean/projects/p{i}","timestamp":{},"git":{{"branch":"feature/{i}","dirty":true}},"team":{{"name":"t","agents":[{{"name":"a","status":"waiting"}}]}}}}"#,
                ["working", "waiting", "done", "idle", "permission"][i % 5],
                1_764_032_280 - i as i64
            );
            let mut s = SessionInfo::parse(text.as_bytes(), None).expect("bench data parses");
            s.remote = (i % 3 != 0).then(|| format!("remote-{}", i % 3));
            Arc::new(s)
        })
        .collect();
    navi_core::sort_sessions_arc(&mut sessions);
    let snapshot = Arc::new(Snapshot {
        sessions,
        sources: vec![
            SourceHealth::connecting(None),
            SourceHealth::connecting(Some("remote-1".into())),
            SourceHealth::connecting(Some("remote-2".into())),
        ],
        generation: 1,
    });
    let mut model = Model::new();
    model.update(snapshot);
    for _ in 0..500 {
        model.select_next();
    }
    let mut ui = UiState::default();

    let cases = [
        (navi_app::Density::Roomy, 120u16, 40u16),
        (navi_app::Density::Roomy, 240, 100),
        (navi_app::Density::Compact, 120, 40),
        (navi_app::Density::Compact, 240, 100),
    ];
    for (density, w, h) in cases {
        ui.density = density;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        let mut times: Vec<Duration> = (0..101)
            .map(|_| {
                let t = Instant::now();
                terminal
                    .draw(|f| navi_app::draw(f, &model, &mut ui))
                    .expect("draw");
                t.elapsed()
            })
            .skip(1)
            .collect();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let med = times[times.len() / 2];
        println!(
            "| one dashboard frame, 1,000 rows, {density:?} layout, {w}x{h} terminal | {:.3} ms | {:.3} ms | {:.3} ms | < 5 ms | {} |",
            ms(times[0]),
            ms(med),
            ms(times[times.len() * 9 / 10]),
            if ms(med) < 5.0 { "met" } else { "MISSED" }
        );
    }
}
