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
        let shown = b.failed(now, SourceError::Refused("x".into()));
        assert_eq!(shown.kind(), "refused");
        assert!(b.check(now + ms(1999)).is_err(), "not hammered");
        assert!(b.check(now + ms(3000)).is_ok(), "back within 3 s");
        now += ms(3000);
    }
    b.failed(now, hung());
    assert!(
        b.check(now + ms(1200)).is_ok(),
        "a refusal reset the growth"
    );
    b.succeeded();
    assert!(b.check(now).is_ok());
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

#[tokio::test(start_paused = true)]
async fn a_connect_cut_off_at_its_deadline_backs_off_one_dropped_before_does_not() {
    use super::backoff::Attempt;
    use navi_core::SourceError;
    use tokio::time::Instant;
    let timed_out =
        || SourceError::timeout_while(Duration::from_secs(10), "connecting to remote dev (TCP)");
    let mut b = Backoff::default();
    let deadline = Instant::now() + Duration::from_secs(10);

    // Dropped by its caller well before the poll's deadline: no failure, no timeout.
    tokio::time::advance(Duration::from_secs(2)).await;
    drop(Attempt::start(&mut b, deadline, timed_out()));
    assert!(b.check(Instant::now()).is_ok(), "not a failed attempt");

    // Dropped at the deadline (the bound cut it off): a timed-out attempt.
    let attempt = Attempt::start(&mut b, deadline, timed_out());
    tokio::time::advance(Duration::from_secs(8)).await;
    drop(attempt);
    let waiting = b.check(Instant::now()).unwrap_err();
    assert_eq!(waiting.kind(), "timeout");
    assert_eq!(
        waiting.to_string(),
        "timed out after 10s connecting to remote dev (TCP)"
    );
    // The first failure's wait (1 s ±20%): the dropped attempt before it did not count.
    tokio::time::advance(Duration::from_millis(1200)).await;
    assert!(b.check(Instant::now()).is_ok());

    // An attempt that ended is not counted again when dropped.
    let attempt = Attempt::start(&mut b, Instant::now(), timed_out());
    attempt.succeeded();
    assert!(b.check(Instant::now()).is_ok());
}

#[tokio::test]
async fn a_poll_dropped_mid_connect_is_not_a_failed_attempt() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts and never says a word: a connect there hangs in the SSH handshake.
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let mut r = local_remote(port);
    r.timeout = Duration::from_millis(400);
    let source = SshSource::new(r);
    // The caller drops the poll long before the remote's timeout.
    let dropped = tokio::time::timeout(Duration::from_millis(50), source.poll()).await;
    assert!(dropped.is_err());
    // The next poll connects again (no backoff) and says what happened to it.
    let before = source.connections_opened();
    let err = source.poll().await.unwrap_err();
    assert!(
        source.connections_opened() > before,
        "a new attempt, not the backoff of the dropped one: {err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "timed out after 400ms connecting to remote local (sean@[127.0.0.1]:{port}) \
             (TCP, SSH handshake or login)"
        ),
    );
    // That one timed out: the next poll backs off (no new connection).
    let before = source.connections_opened();
    let third = source.poll().await.unwrap_err();
    assert_eq!(third.kind(), "timeout", "{third}");
    assert_eq!(source.connections_opened(), before, "backing off");
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
