#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The pool without a server: backoff, and refused, hung and unresolvable hosts (the
//! in-process and real-sshd tests live in the workspace `tests/` crate).

use std::time::Duration;

use navi_core::SessionSource;

use super::backoff::{backoff_delay, Backoff, BACKOFF_CAP};
use crate::test_support::remote;
use crate::{Remote, SshSource};

#[test]
fn backoff_doubles_to_the_cap_with_jitter() {
    assert_eq!(backoff_delay(0), Duration::ZERO);
    for _ in 0..50 {
        let d1 = backoff_delay(1);
        assert!(
            d1 >= Duration::from_millis(800) && d1 < Duration::from_millis(1200),
            "{d1:?}"
        );
        let d3 = backoff_delay(3);
        assert!(
            d3 >= Duration::from_millis(3200) && d3 < Duration::from_millis(4800),
            "{d3:?}"
        );
        for f in [7, 8, 30, u32::MAX] {
            let d = backoff_delay(f);
            assert!(
                d >= Duration::from_secs(48) && d <= BACKOFF_CAP,
                "{f}: {d:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn backoff_schedule_on_the_paused_clock() {
    use navi_core::SourceError;
    use tokio::time::Instant;
    let ms = Duration::from_millis;
    let mut b = Backoff::default();
    let t0 = Instant::now();
    assert!(b.check(t0).is_ok(), "the first attempt is immediate");
    b.attempt(t0, SourceError::timeout(Duration::from_secs(10)));
    assert_eq!(
        b.check(t0).unwrap_err().kind(),
        "timeout",
        "an attempt in flight (or abandoned) counts as failed"
    );
    let hung = || SourceError::timeout(Duration::from_secs(10));
    let shown = b.failed(t0, SourceError::Dns("dev: no such host".into()));
    assert_eq!(
        shown.to_string(),
        "cannot resolve host: dev: no such host",
        "the attempt's own error has no retry note (a one-shot command never retries)"
    );
    let waiting = b.check(t0 + ms(500)).unwrap_err();
    assert_eq!(waiting.kind(), "dns");
    assert!(
        waiting
            .to_string()
            .contains("no such host (retrying in 1s)"),
        "{waiting}"
    );
    assert!(
        b.check(t0 + ms(1200)).is_ok(),
        "1 s (±20%) later it may try again"
    );

    // Each slow failure doubles the wait, up to the cap.
    let mut now = t0 + ms(1200);
    for n in 2..=10u32 {
        b.attempt(now, hung());
        b.failed(now, hung());
        let base = Duration::from_secs(1u64 << (n - 1)).min(BACKOFF_CAP);
        let low = base.mul_f64(0.8).min(BACKOFF_CAP) - ms(1);
        assert!(
            b.check(now + low).is_err(),
            "failure {n}: still waiting at {low:?}"
        );
        let high = base.mul_f64(1.2).min(BACKOFF_CAP);
        assert!(
            b.check(now + high).is_ok(),
            "failure {n}: free again at {high:?}"
        );
        tokio::time::advance(high).await;
        now = Instant::now();
    }
    // A refused connection (the host is up, sshd not yet) is retried every few
    // seconds, however long the outage was, and restarts the schedule.
    for _ in 0..3 {
        b.attempt(now, hung());
        let shown = b.failed(now, SourceError::Refused("x".into()));
        assert_eq!(shown.kind(), "refused");
        assert!(b.check(now + ms(1999)).is_err(), "not hammered");
        assert!(b.check(now + ms(3000)).is_ok(), "back within 3 s");
        now += ms(3000);
    }
    b.attempt(now, hung());
    b.failed(now, hung());
    assert!(
        b.check(now + ms(1200)).is_ok(),
        "a refusal reset the growth"
    );
    b.succeeded();
    assert!(b.check(now).is_ok());
    b.attempt(now, hung());
    b.failed(now, hung());
    assert!(
        b.check(now + ms(1200)).is_ok(),
        "success resets the schedule"
    );
}

fn local_remote(port: u16) -> Remote {
    let mut r = remote("local", "127.0.0.1");
    r.port = port;
    r.timeout = Duration::from_secs(2);
    r
}

#[tokio::test]
async fn refused_then_backing_off_without_new_attempts() {
    // A free port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let source = SshSource::new(local_remote(port));
    let first = source.poll().await.unwrap_err();
    assert_eq!(first.kind(), "refused", "{first}");
    assert!(
        first.to_string().contains("local"),
        "names the remote: {first}"
    );
    let second = source.poll().await.unwrap_err();
    assert_eq!(second.kind(), "refused");
    assert!(second.to_string().contains("retrying in"), "{second}");
    assert_eq!(source.connections_opened(), 0);
}

#[tokio::test]
async fn dns_failure_is_dns() {
    let mut r = local_remote(22);
    r.host = "navi-test.invalid".into();
    r.timeout = Duration::from_secs(5);
    let err = SshSource::new(r).poll().await.unwrap_err();
    assert_eq!(err.kind(), "dns", "{err}");
}

#[tokio::test]
async fn a_silent_server_times_out_and_is_not_hammered() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts and never says a word.
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let mut r = local_remote(port);
    r.timeout = Duration::from_millis(400);
    let source = SshSource::new(r);
    let first = source.poll().await.unwrap_err();
    assert_eq!(first.kind(), "timeout", "{first}");
    assert_eq!(source.connections_opened(), 1);
    let second = source.poll().await.unwrap_err();
    assert_eq!(second.kind(), "timeout");
    assert_eq!(
        source.connections_opened(),
        1,
        "backing off: no second connection"
    );
    server.abort();
    let _ = server.await;
}

#[tokio::test]
async fn a_cancelled_connect_still_backs_off() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let source = SshSource::new(local_remote(port));
    // The aggregator drops a poll at its deadline; here, well before ours.
    let cancelled = tokio::time::timeout(Duration::from_millis(100), source.poll()).await;
    assert!(cancelled.is_err());
    let err = source.poll().await.unwrap_err();
    assert!(
        err.to_string().contains("retrying in") || err.kind() == "timeout",
        "{err}"
    );
    assert_eq!(source.connections_opened(), 1);
    server.abort();
    let _ = server.await;
}

#[tokio::test]
async fn a_bounded_poll_reports_its_own_error_at_the_bounds_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let mut r = local_remote(port);
    // The remote's own timeout is far away: the bound's deadline is the one that counts.
    r.timeout = Duration::from_secs(30);
    let source = SshSource::new(r);
    let started = std::time::Instant::now();
    let err = navi_core::bounded_poll(
        &source,
        navi_core::Deadline::after(Duration::from_millis(400)),
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "{err}");
    assert_eq!(err.kind(), "timeout", "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "timed out after 400ms connecting to remote local (sean@[127.0.0.1]:{port}) \
             (TCP, SSH handshake or login)"
        ),
        "the pool's own error, not the bound's"
    );
    server.abort();
    let _ = server.await;
}
