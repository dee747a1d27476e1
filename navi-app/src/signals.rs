//! Signals that end navi: the dashboard and `navi watch` end cleanly on them (terminal
//! restored, summary withdrawn, notifier lease given back) instead of dying where they
//! stand.

/// Resolves on any signal whose default action would end navi with the terminal raw, on
/// the alternate screen, the cursor hidden and mouse reporting on: SIGTERM, SIGHUP,
/// SIGINT and SIGQUIT (from `kill`: in raw mode Ctrl-C and Ctrl-\ arrive as keys),
/// SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, SIGIO, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ. The
/// loop then ends and the terminal is restored as on `q`. (SIGKILL and SIGSTOP cannot
/// be caught.)
pub async fn termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let kinds = [
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::interrupt(),
            SignalKind::quit(),
            SignalKind::user_defined1(),
            SignalKind::user_defined2(),
            SignalKind::alarm(),
            SignalKind::pipe(),
            SignalKind::io(),
        ]
        .into_iter()
        .chain(
            [
                rustix::process::Signal::VTALARM,
                rustix::process::Signal::PROF,
                rustix::process::Signal::XCPU,
                rustix::process::Signal::XFSZ,
            ]
            .map(|s| SignalKind::from_raw(s.as_raw())),
        );
        let mut streams: Vec<_> = kinds
            .into_iter()
            .filter_map(|k| Some((k.as_raw_value(), signal(k).ok()?)))
            .collect();
        if streams.is_empty() {
            return std::future::pending().await;
        }
        let any = streams.iter_mut().map(|(_, s)| Box::pin(s.recv()));
        let (_, index, _) = futures_select_all(any).await;
        let number = streams.get(index).map_or(0, |(n, _)| *n);
        tracing::info!("ending on a signal (signal {number})");
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await
}

/// The first of `futures` to finish (its output, its index, the rest).
#[cfg(unix)]
async fn futures_select_all<F: std::future::Future + Unpin>(
    futures: impl IntoIterator<Item = F>,
) -> (F::Output, usize, Vec<F>) {
    let mut futures: Vec<F> = futures.into_iter().collect();
    std::future::poll_fn(move |cx| {
        for (i, f) in futures.iter_mut().enumerate() {
            if let std::task::Poll::Ready(out) = std::pin::Pin::new(f).poll(cx) {
                let rest = std::mem::take(&mut futures);
                return std::task::Poll::Ready((out, i, rest));
            }
        }
        std::task::Poll::Pending
    })
    .await
}
