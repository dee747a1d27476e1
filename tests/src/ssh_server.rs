//! In-process russh server for deterministic SSH tests.
//!
//! [`TestServer::start`] listens on `127.0.0.1` (a free port) and speaks real SSH:
//! public-key auth against one configured client key, `exec` (and `shell`) requests run
//! through a local `sh` with `HOME` set to the server's own temporary home, and
//! `direct-tcpip` forwarding (so one server can be the jump host of another).
//!
//! Every test owns its servers: [`TestServer::stop`] closes the listener and cuts every
//! live connection (the client sees the TCP stream die, without an SSH disconnect
//! message), [`TestServer::restart`] listens again on the same port with the same host
//! key, and dropping a `TestServer` stops it.
//!
//! ```text
//! let client = ClientKey::generate(dir.path(), "id_ed25519");
//! let mut server = TestServer::start(ServerOptions::accepting(&client)).await;
//! server.write_session("api.json", br#"{"tmux_session":"api","status":"working"}"#);
//! std::fs::write(&known_hosts, server.known_hosts_line() + "\n")?;
//! // ... point an SshSource at server.port() ...
//! server.stop().await;
//! ```

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, PrivateKey, PublicKey};
use russh::server::{
    self, Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, ChannelOpenFailure, MethodKind, MethodSet};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// A freshly generated ed25519 key pair.
pub fn random_key() -> PrivateKey {
    PrivateKey::random(&mut russh::keys::key::safe_rng(), Algorithm::Ed25519)
        .expect("generate an ed25519 key")
}

/// Writes `contents` to `path` with mode 0600 (as ssh expects of private keys).
pub fn write_private_file(path: &Path, contents: &[u8]) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    f.write_all(contents)
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// The known_hosts line that trusts `key` for `127.0.0.1:port`
/// (`[127.0.0.1]:PORT ssh-ed25519 AAAA…`; the bare host when the port is 22).
pub fn known_hosts_entry(port: u16, key: &PublicKey) -> String {
    let mut key = key.clone();
    key.set_comment("");
    let encoded = key.to_openssh().expect("encode a public key");
    if port == 22 {
        format!("127.0.0.1 {}", encoded.trim())
    } else {
        format!("[127.0.0.1]:{port} {}", encoded.trim())
    }
}

/// A client key pair whose private half is stored in OpenSSH format (mode 0600).
#[derive(Debug, Clone)]
pub struct ClientKey {
    /// The private key file (`id_ed25519`-style, unencrypted).
    pub path: PathBuf,
    /// Its public key (also written next to it as `<path>.pub`).
    pub public: PublicKey,
}

impl ClientKey {
    /// Generates an ed25519 key and writes it to `dir/name` (and `dir/name.pub`).
    pub fn generate(dir: &Path, name: &str) -> ClientKey {
        let key = random_key();
        let path = dir.join(name);
        let pem = key
            .to_openssh(LineEnding::LF)
            .expect("encode a private key");
        write_private_file(&path, pem.as_bytes());
        let public = key.public_key().clone();
        let line = public.to_openssh().expect("encode a public key");
        std::fs::write(dir.join(format!("{name}.pub")), format!("{line}\n"))
            .expect("write the .pub file");
        ClientKey { path, public }
    }
}

/// How a [`TestServer`] behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// A working SSH server.
    #[default]
    Normal,
    /// Accepts TCP connections and never sends a byte (a hung remote). The sockets stay
    /// open until the server stops.
    Silent,
}

/// What [`TestServer::start`] starts.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Normal or silent.
    pub mode: Mode,
    /// The one client key the server accepts; `None` rejects everyone.
    pub authorized_key: Option<PublicKey>,
    /// The host key; `None` generates a fresh ed25519 key.
    pub host_key: Option<PrivateKey>,
    /// The `HOME` of executed commands; `None` creates a temporary one (with an empty
    /// `.claude-sessions/`) that lives as long as the server.
    pub home: Option<PathBuf>,
}

impl ServerOptions {
    /// A normal server that accepts `client`.
    pub fn accepting(client: &ClientKey) -> ServerOptions {
        ServerOptions {
            authorized_key: Some(client.public.clone()),
            ..ServerOptions::default()
        }
    }

    /// A silent server: TCP accepts, then nothing.
    pub fn silent() -> ServerOptions {
        ServerOptions {
            mode: Mode::Silent,
            ..ServerOptions::default()
        }
    }
}

#[derive(Debug, Default)]
struct Stats {
    accepted: AtomicU64,
    authenticated: AtomicU64,
    execs: AtomicU64,
    direct_tcpip: AtomicU64,
}

/// What every connection handler of one server shares.
#[derive(Debug)]
struct Shared {
    authorized: Option<PublicKey>,
    home: PathBuf,
    stats: Arc<Stats>,
}

#[derive(Debug)]
struct Running {
    stop: watch::Sender<bool>,
    accept_task: JoinHandle<()>,
    /// A duplicate of every live connection's socket, to cut it on stop.
    sockets: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl Running {
    /// Ends the connections and the commands they run (the listener is closed apart).
    fn cut_connections(&self) {
        let _ = self.stop.send(true);
        let sockets = std::mem::take(&mut *self.sockets.lock().unwrap_or_else(|p| p.into_inner()));
        for s in sockets {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// An SSH server on `127.0.0.1`, owned by one test. See the [module docs](self).
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    host_key: PrivateKey,
    mode: Mode,
    shared: Arc<Shared>,
    _home_dir: Option<tempfile::TempDir>,
    running: Option<Running>,
}

impl TestServer {
    /// Starts a server on a free port of 127.0.0.1.
    pub async fn start(opts: ServerOptions) -> TestServer {
        let (home, home_dir) = match opts.home {
            Some(h) => (h, None),
            None => {
                let dir = tempfile::tempdir().expect("create a temporary home");
                std::fs::create_dir(dir.path().join(".claude-sessions"))
                    .expect("create ~/.claude-sessions");
                (dir.path().to_path_buf(), Some(dir))
            }
        };
        let shared = Arc::new(Shared {
            authorized: opts.authorized_key,
            home,
            stats: Arc::new(Stats::default()),
        });
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("listener address");
        let mut server = TestServer {
            addr,
            host_key: opts.host_key.unwrap_or_else(random_key),
            mode: opts.mode,
            shared,
            _home_dir: home_dir,
            running: None,
        };
        server.serve(listener);
        server
    }

    fn serve(&mut self, listener: TcpListener) {
        let (stop, stop_rx) = watch::channel(false);
        let sockets = Arc::new(Mutex::new(Vec::new()));
        let config = Arc::new(server::Config {
            keys: vec![self.host_key.clone()],
            methods: MethodSet::from(&[MethodKind::PublicKey][..]),
            inactivity_timeout: None,
            auth_rejection_time: Duration::from_millis(10),
            auth_rejection_time_initial: Some(Duration::ZERO),
            ..server::Config::default()
        });
        let accept_task = match self.mode {
            Mode::Normal => tokio::spawn(accept_ssh(
                listener,
                config,
                self.shared.clone(),
                sockets.clone(),
                stop_rx,
            )),
            Mode::Silent => tokio::spawn(accept_silent(listener, self.shared.stats.clone())),
        };
        self.running = Some(Running {
            stop,
            accept_task,
            sockets,
        });
    }

    /// The listening address (`127.0.0.1:PORT`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The host key's public half.
    pub fn host_public_key(&self) -> &PublicKey {
        self.host_key.public_key()
    }

    /// The host key (to start another server that presents the same key).
    pub fn host_key(&self) -> &PrivateKey {
        &self.host_key
    }

    /// `[127.0.0.1]:PORT ssh-ed25519 AAAA…`, the known_hosts line that trusts this server.
    pub fn known_hosts_line(&self) -> String {
        known_hosts_entry(self.port(), self.host_public_key())
    }

    /// Writes a known_hosts file that trusts this server only.
    pub fn write_known_hosts(&self, path: &Path) {
        std::fs::write(path, format!("{}\n", self.known_hosts_line()))
            .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// TCP connections accepted so far (over every restart).
    pub fn accepted(&self) -> u64 {
        self.shared.stats.accepted.load(Ordering::SeqCst)
    }

    /// Successful public-key authentications so far.
    pub fn authenticated(&self) -> u64 {
        self.shared.stats.authenticated.load(Ordering::SeqCst)
    }

    /// `exec` and `shell` requests so far.
    pub fn execs(&self) -> u64 {
        self.shared.stats.execs.load(Ordering::SeqCst)
    }

    /// `direct-tcpip` channels opened through this server so far.
    pub fn direct_tcpip(&self) -> u64 {
        self.shared.stats.direct_tcpip.load(Ordering::SeqCst)
    }

    /// The `HOME` of executed commands.
    pub fn home(&self) -> &Path {
        &self.shared.home
    }

    /// `HOME/.claude-sessions`.
    pub fn sessions_dir(&self) -> PathBuf {
        self.shared.home.join(".claude-sessions")
    }

    /// Writes one status file into `HOME/.claude-sessions` (creating the directory).
    pub fn write_session(&self, name: &str, contents: &[u8]) {
        let dir = self.sessions_dir();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Whether the server is listening.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Stops listening and cuts every live connection (and the commands they run).
    /// Returns once the port is free again.
    pub async fn stop(&mut self) {
        if let Some(mut running) = self.running.take() {
            // The listener is closed first: cutting the connections ends their commands,
            // which forks (`kill`), and a child forked while the listener is still open
            // holds it until its exec, so a client dialling then would be queued and
            // reset instead of refused.
            running.accept_task.abort();
            let _ = (&mut running.accept_task).await;
            running.cut_connections();
        }
    }

    /// Listens again on the same port with the same host key (after [`stop`](Self::stop)).
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut last_error = None;
        for _ in 0..100 {
            match bind(self.addr) {
                Ok(listener) => {
                    self.serve(listener);
                    return;
                }
                Err(e) => {
                    last_error = Some(e);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        panic!("restart: cannot bind {} again: {last_error:?}", self.addr);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.accept_task.abort();
            running.cut_connections();
        }
    }
}

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(128)
}

async fn accept_silent(listener: TcpListener, stats: Arc<Stats>) {
    // Held here so they stay open (and silent) until the task is aborted.
    let mut held = Vec::new();
    while let Ok((tcp, _)) = listener.accept().await {
        stats.accepted.fetch_add(1, Ordering::SeqCst);
        held.push(tcp);
    }
}

async fn accept_ssh(
    listener: TcpListener,
    config: Arc<server::Config>,
    shared: Arc<Shared>,
    sockets: Arc<Mutex<Vec<std::net::TcpStream>>>,
    stop: watch::Receiver<bool>,
) {
    while let Ok((tcp, _)) = listener.accept().await {
        shared.stats.accepted.fetch_add(1, Ordering::SeqCst);
        let Ok(std_tcp) = tcp.into_std() else {
            continue;
        };
        match std_tcp.try_clone() {
            Ok(dup) => sockets.lock().unwrap_or_else(|p| p.into_inner()).push(dup),
            Err(_) => continue,
        }
        let Ok(tcp) = TcpStream::from_std(std_tcp) else {
            continue;
        };
        let handler = ConnHandler {
            shared: shared.clone(),
            stop: stop.clone(),
            channels: HashMap::new(),
        };
        let config = config.clone();
        tokio::spawn(async move {
            if let Ok(session) = server::run_stream(config, tcp, handler).await {
                let _ = session.await;
            }
        });
    }
}

/// Resolves once `stop` says the server stopped (or the server is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Per-channel state of an exec: stdin forwarding, and a guard whose drop (channel
/// closed, connection gone) ends the command.
#[derive(Debug)]
struct ChanIo {
    stdin: Option<mpsc::UnboundedSender<Vec<u8>>>,
    _alive: oneshot::Sender<()>,
}

/// One connection's handler.
#[derive(Debug)]
struct ConnHandler {
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    channels: HashMap<ChannelId, ChanIo>,
}

impl ConnHandler {
    fn key_allowed(&self, key: &PublicKey) -> bool {
        self.shared
            .authorized
            .as_ref()
            .is_some_and(|k| k.key_data() == key.key_data())
    }

    fn start_command(&mut self, id: ChannelId, command: Option<String>, session: &mut Session) {
        self.shared.stats.execs.fetch_add(1, Ordering::SeqCst);
        let (stdin_tx, stdin_rx) = mpsc::unbounded_channel();
        let (alive_tx, alive_rx) = oneshot::channel();
        self.channels.insert(
            id,
            ChanIo {
                stdin: Some(stdin_tx),
                _alive: alive_tx,
            },
        );
        let exec = Exec {
            handle: session.handle(),
            id,
            command,
            home: self.shared.home.clone(),
            stdin: stdin_rx,
        };
        let stop = self.stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = exec.run() => {}
                _ = alive_rx => {}
                _ = stopped(stop) => {}
            }
        });
    }
}

impl server::Handler for ConnHandler {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(if self.key_allowed(offer.public_key) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(if self.key_allowed(key.public_key) {
            self.shared
                .stats
                .authenticated
                .fetch_add(1, Ordering::SeqCst);
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Everything goes through the callbacks below; the channel object is not read.
        reply.accept().await;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let command = String::from_utf8_lossy(data).into_owned();
        self.start_command(channel, Some(command), session);
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        self.start_command(channel, None, session);
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(tx) = self.channels.get(&channel).and_then(|c| c.stdin.as_ref()) {
            let _ = tx.send(data.to_vec());
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(c) = self.channels.get_mut(&channel) {
            c.stdin = None;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<Msg>,
        host_to_connect: &str,
        port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.shared
            .stats
            .direct_tcpip
            .fetch_add(1, Ordering::SeqCst);
        let host = host_to_connect.to_owned();
        let stop = self.stop.clone();
        let Ok(port) = u16::try_from(port_to_connect) else {
            reply.reject(ChannelOpenFailure::ConnectFailed).await;
            return Ok(());
        };
        tokio::spawn(async move {
            let connect = tokio::time::timeout(
                Duration::from_secs(10),
                TcpStream::connect((host.as_str(), port)),
            );
            match connect.await {
                Ok(Ok(mut tcp)) => {
                    reply.accept().await;
                    let mut stream = channel.into_stream();
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut stream, &mut tcp) => {}
                        _ = stopped(stop) => {}
                    }
                }
                _ => reply.reject(ChannelOpenFailure::ConnectFailed).await,
            }
        });
        Ok(())
    }
}

/// One command of one channel.
struct Exec {
    handle: server::Handle,
    id: ChannelId,
    /// `None` runs an interactive `sh` (a shell request).
    command: Option<String>,
    home: PathBuf,
    stdin: mpsc::UnboundedReceiver<Vec<u8>>,
}

/// Kills a command's whole process group when dropped (the command ended, the channel
/// closed or the server stopped), so no shell loop outlives its test.
struct GroupKill(Option<u32>);

impl Drop for GroupKill {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Exec {
    async fn run(self) {
        let Exec {
            handle,
            id,
            command,
            home,
            stdin: mut stdin_rx,
        } = self;
        let mut cmd = tokio::process::Command::new("sh");
        if let Some(c) = &command {
            cmd.arg("-c").arg(c);
        }
        cmd.env("HOME", &home)
            .current_dir(&home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = handle
                    .extended_data(id, 1, format!("cannot run sh: {e}\n").into_bytes())
                    .await;
                finish(&handle, id, 127).await;
                return;
            }
        };
        let _group = GroupKill(child.id());
        let mut stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();

        // Channel data → the command's stdin, as it arrives; client EOF closes stdin.
        let feed = async move {
            while let Some(buf) = stdin_rx.recv().await {
                if let Some(w) = stdin.as_mut() {
                    if w.write_all(&buf).await.is_err() || w.flush().await.is_err() {
                        stdin = None;
                    }
                }
            }
            drop(stdin);
            std::future::pending::<()>().await;
        };
        let run = async {
            tokio::join!(
                pump(stdout, |chunk| handle.data(id, chunk)),
                pump(stderr, |chunk| handle.extended_data(id, 1, chunk)),
            );
            child.wait().await
        };
        let status = tokio::select! {
            status = run => status,
            _ = feed => return,
        };
        let code = match status {
            Ok(s) => {
                use std::os::unix::process::ExitStatusExt;
                s.code()
                    .or_else(|| s.signal().map(|sig| 128 + sig))
                    .unwrap_or(255)
            }
            Err(_) => 255,
        };
        finish(&handle, id, u32::try_from(code).unwrap_or(255)).await;
    }
}

/// Exit status, EOF, close: the end of an exec channel, in OpenSSH's order.
async fn finish(handle: &server::Handle, id: ChannelId, code: u32) {
    let _ = handle.exit_status_request(id, code).await;
    let _ = handle.eof(id).await;
    let _ = handle.close(id).await;
}

/// Copies a child's pipe to the channel, chunk by chunk, until EOF or the channel dies.
async fn pump<R, F, Fut, E>(reader: Option<R>, mut send: F)
where
    R: AsyncRead + Unpin,
    F: FnMut(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
{
    let Some(mut reader) = reader else { return };
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if send(buf[..n].to_vec()).await.is_err() {
                    return;
                }
            }
        }
    }
}
