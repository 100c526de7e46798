//! The workbook's benchmark: the reference server against a bare tonic server of the same
//! proto, in one run, on one machine.
//!
//! `cargo run --release -p solution10-performance --bin bench`
//!
//! Every cell is a closed loop: `concurrency` client tasks, each sending its next call as soon
//! as the previous one answered, for a fixed time after a warm-up. Each call's latency goes
//! into a `Vec`; p50 and p99 are read from it after sorting. Client and servers share the
//! machine (and, here, its two cores), so the numbers compare servers with each other; they
//! are not what either server would do alone on a dedicated host.
//!
//! Prints a table and writes `book/src/img/ch10-benchmark.svg`.

use std::{
    collections::HashMap,
    fmt::Write as _,
    sync::Arc,
    time::{Duration, Instant},
};

use lab03::service::{ChatStream, UserStream};
use lab10::counting::CountedServer;
use tokio::{
    net::{TcpListener, TcpSocket},
    sync::oneshot,
};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{
    Request, Response, Status, Streaming,
    codec::CompressionEncoding,
    service::Routes,
    transport::{Channel, Endpoint, Server, server::TcpIncoming},
};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_client::UserServiceClient,
    user_service_server::{UserService, UserServiceServer},
};

/// Users preloaded in every server.
const USERS: i32 = 10_000;
/// Measured time per cell (per round, for unary cells), after `WARM_UP`.
const MEASURE: Duration = Duration::from_secs(1);
const WARM_UP: Duration = Duration::from_millis(500);
/// Rounds of the unary cells: each server gets `ROUNDS` turns of `MEASURE`.
const ROUNDS: usize = 3;
/// Concurrency levels of the unary cells.
const CONCURRENCY: [usize; 3] = [1, 8, 64];
/// Users per ListUsers page in the streaming cells.
const PAGE: i32 = 1000;

// ANCHOR: bare_service
/// The bare tonic server: the same proto, a `HashMap` lookup, no validation, no paging rules,
/// no health or reflection services, no layers. The fastest honest `UserService`.
struct BareUserService {
    users: HashMap<i32, User>,
    sorted: Arc<Vec<User>>,
}
// ANCHOR_END: bare_service

#[tonic::async_trait]
impl UserService for BareUserService {
    // ANCHOR: bare_get_user
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        match self.users.get(&request.get_ref().id) {
            Some(user) => Ok(Response::new(user.clone())),
            None => Err(Status::not_found("no such user")),
        }
    }
    // ANCHOR_END: bare_get_user

    type ListUsersStream = UserStream;

    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<UserStream>, Status> {
        let ListUsersRequest { page, page_size } = request.into_inner();
        let size = page_size.max(1) as usize;
        let start = (page.max(1) as usize - 1) * size;
        let page: Vec<_> = self.sorted.iter().skip(start).take(size).cloned().collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(
            page.into_iter().map(Ok),
        ))))
    }

    async fn create_users(
        &self,
        _request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        Err(Status::unimplemented("not benchmarked"))
    }

    type ChatStream = ChatStream;

    async fn chat(
        &self,
        _request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<ChatStream>, Status> {
        Err(Status::unimplemented("not benchmarked"))
    }
}

fn bare_service(users: impl IntoIterator<Item = User>) -> UserServiceServer<BareUserService> {
    let sorted: Vec<User> = users.into_iter().collect();
    let users = sorted.iter().map(|user| (user.id, user.clone())).collect();
    UserServiceServer::new(BareUserService {
        users,
        sorted: Arc::new(sorted),
    })
    // Compresses only for clients that ask for it (the gzip cells).
    .send_compressed(CompressionEncoding::Gzip)
    .accept_compressed(CompressionEncoding::Gzip)
}

/// Users with long, repetitive names, as in the lab's compression test.
fn wordy_user(id: i32) -> User {
    let mut user = lab03::seed_user(id);
    user.name = format!(
        "{} / {}",
        "Example Corp / Engineering / Platform / Remote Procedure Calls".repeat(5),
        user.name
    );
    user
}

/// A server task's address and the sender that stops it.
struct Running {
    url: String,
    _stop: oneshot::Sender<()>,
}

/// A listener on `127.0.0.1:0`. With `nodelay`, TCP_NODELAY is set on the listening socket;
/// Linux copies it to every socket the listener accepts, which is how this benchmark
/// switches Nagle's algorithm off for a server whose code it does not change.
fn listener(nodelay: bool) -> TcpListener {
    let socket = TcpSocket::new_v4().expect("a TCP socket");
    socket
        .set_nodelay(nodelay)
        .expect("TCP_NODELAY on the listener");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("bind");
    socket.listen(1024).expect("listen")
}

// ANCHOR: servers
/// The reference server, exactly as `user-service` serves it.
async fn start_reference(nodelay: bool) -> Running {
    let listener = listener(nodelay);
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let config = user_service::ServerConfig {
        seed_users: USERS,
        ..Default::default()
    };
    tokio::spawn(user_service::serve(listener, config, async {
        let _ = stopped.await;
    }));
    Running { url, _stop: stop }
}

/// The bare server. With `nodelay`, served the way tonic's own `serve` does it: through a
/// `TcpIncoming` that sets TCP_NODELAY on each accepted socket. Without, accepted through a
/// plain `TcpListenerStream`, as the reference server accepts them.
async fn start_bare(nodelay: bool) -> Running {
    let listener = listener(false);
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let service = bare_service((1..=USERS).map(lab03::seed_user));
    let shutdown = async {
        let _ = stopped.await;
    };
    let router = Server::builder().add_service(service);
    if nodelay {
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        tokio::spawn(router.serve_with_incoming_shutdown(incoming, shutdown));
    } else {
        let incoming = TcpListenerStream::new(listener);
        tokio::spawn(router.serve_with_incoming_shutdown(incoming, shutdown));
    }
    Running { url, _stop: stop }
}
// ANCHOR_END: servers

async fn connect(url: &str) -> Channel {
    Endpoint::from_shared(url.to_owned())
        .expect("a valid URL")
        .connect()
        .await
        .expect("the benchmark server should accept connections")
}

/// What one cell measured.
#[derive(Debug, Clone, Default)]
struct Cell {
    /// Completed calls (or messages, for streaming cells) per second.
    rate: f64,
    /// Latency of a call, in microseconds (unary cells only).
    p50_us: f64,
    p99_us: f64,
    /// Bytes the server wrote per message (gzip cells only).
    bytes_per_message: f64,
}

/// A tiny xorshift: which user to ask for, without a dependency.
fn next_id(state: &mut u64) -> i32 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state % USERS as u64) as i32 + 1
}

// ANCHOR: closed_loop
/// `concurrency` closed-loop tasks calling `GetUser` on clones of one client for `duration`:
/// every call's latency, in the order the tasks finished.
async fn closed_loop(
    client: &UserServiceClient<Channel>,
    concurrency: usize,
    duration: Duration,
) -> Vec<Duration> {
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let mut client = client.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(64 * 1024);
                let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (task as u64 + 1);
                while Instant::now() < deadline {
                    let id = next_id(&mut seed);
                    let started = Instant::now();
                    let user = client.get_user(GetUserRequest { id }).await;
                    latencies.push(started.elapsed());
                    assert_eq!(user.expect("GetUser should succeed").get_ref().id, id);
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("a client task panicked"));
    }
    all
}
// ANCHOR_END: closed_loop

/// Unary cells of one concurrency level: after a warm-up per server, `ROUNDS` rounds in which
/// the servers take turns, so that any drift of the machine (another process, a noisy
/// neighbour, thermal limits) affects all of them alike. The rate is the median round's;
/// the percentiles are over every call of every round.
async fn unary_cells(servers: &[(&str, Running)], concurrency: usize) -> Vec<Cell> {
    let mut clients = Vec::new();
    for (_, server) in servers {
        let client = UserServiceClient::new(connect(&server.url).await);
        closed_loop(&client, concurrency, WARM_UP).await;
        clients.push(client);
    }
    let mut rates = vec![Vec::new(); servers.len()];
    let mut latencies = vec![Vec::new(); servers.len()];
    for _ in 0..ROUNDS {
        for (i, client) in clients.iter().enumerate() {
            let started = Instant::now();
            let round = closed_loop(client, concurrency, MEASURE).await;
            rates[i].push(round.len() as f64 / started.elapsed().as_secs_f64());
            latencies[i].extend(round);
        }
    }
    rates
        .into_iter()
        .zip(latencies)
        .map(|(mut rates, mut latencies)| {
            rates.sort_by(f64::total_cmp);
            latencies.sort_unstable();
            Cell {
                rate: rates[rates.len() / 2],
                p50_us: percentile(&latencies, 50.0),
                p99_us: percentile(&latencies, 99.0),
                bytes_per_message: 0.0,
            }
        })
        .collect()
}

/// The latency below which `p` percent of the (sorted) calls finished, in microseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 * p / 100.0) as usize).min(sorted.len() - 1);
    sorted[index].as_secs_f64() * 1e6
}
// ANCHOR_END: closed_loop

/// One client reading whole `ListUsers` pages back to back: messages per second.
async fn streaming_cell(mut client: UserServiceClient<Channel>, duration: Duration) -> f64 {
    let mut messages = 0u64;
    let started = Instant::now();
    let mut page = 0;
    while started.elapsed() < duration {
        page = page % 10 + 1;
        let mut stream = client
            .list_users(ListUsersRequest {
                page,
                page_size: PAGE,
            })
            .await
            .expect("ListUsers should succeed")
            .into_inner();
        while stream.message().await.expect("the page").is_some() {
            messages += 1;
        }
    }
    messages as f64 / started.elapsed().as_secs_f64()
}

// ANCHOR: connection_per_call
/// One client that connects, makes one call and drops the connection, again and again.
async fn connection_per_call_cell(url: &str) -> Cell {
    let endpoint = Endpoint::from_shared(url.to_owned()).expect("a valid URL");
    let mut latencies = Vec::new();
    let mut seed = 7;
    let mut run = async |duration: Duration, latencies: &mut Vec<Duration>| {
        let deadline = Instant::now() + duration;
        while Instant::now() < deadline {
            let started = Instant::now();
            let channel = endpoint.connect().await.expect("connect");
            let mut client = UserServiceClient::new(channel);
            let id = next_id(&mut seed);
            client
                .get_user(GetUserRequest { id })
                .await
                .expect("GetUser");
            latencies.push(started.elapsed());
        }
    };
    run(WARM_UP, &mut Vec::new()).await;
    let started = Instant::now();
    run(MEASURE, &mut latencies).await;
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Cell {
        rate: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_us: percentile(&latencies, 50.0),
        p99_us: percentile(&latencies, 99.0),
        bytes_per_message: 0.0,
    }
}
// ANCHOR_END: connection_per_call

/// `ListUsers` from a bare server over a counting listener, with or without gzip.
async fn gzip_cell(users: Vec<User>, gzip: bool) -> Cell {
    let server = CountedServer::start(Server::builder(), Routes::new(bare_service(users))).await;
    let mut client = UserServiceClient::new(server.channel());
    if gzip {
        client = client.accept_compressed(CompressionEncoding::Gzip);
    }
    streaming_cell(client.clone(), WARM_UP).await;
    let before = server.counters().bytes_written();
    let started = Instant::now();
    let rate = streaming_cell(client, MEASURE).await;
    let messages = rate * started.elapsed().as_secs_f64();
    Cell {
        rate,
        bytes_per_message: (server.counters().bytes_written() - before) as f64 / messages,
        ..Cell::default()
    }
}

/// Progress on stderr: one line per cell, so a slow run shows where it is.
struct Progress {
    done: usize,
    total: usize,
    started: Instant,
}

impl Progress {
    fn start(&self, what: &str) {
        eprint!(
            "[{:>2}/{}] {:>5.1} s  {what:<48} ",
            self.done + 1,
            self.total,
            self.started.elapsed().as_secs_f64()
        );
    }

    fn finish(&mut self, cell: &Cell, unit: &str) {
        self.finish_with(&format!("{:>10.0} {unit}", cell.rate));
    }

    fn finish_with(&mut self, result: &str) {
        self.done += 1;
        eprintln!("{result}");
    }
}

#[tokio::main]
async fn main() {
    let total = CONCURRENCY.len() + 4 + 2 + 4;
    let mut progress = Progress {
        done: 0,
        total,
        started: Instant::now(),
    };
    let servers = [
        ("reference", start_reference(false).await),
        ("bare tonic", start_bare(false).await),
        ("reference, TCP_NODELAY", start_reference(true).await),
        ("bare tonic, TCP_NODELAY", start_bare(true).await),
    ];

    let mut unary = Vec::new();
    for concurrency in CONCURRENCY {
        progress.start(&format!(
            "GetUser, 4 servers x {ROUNDS} rounds, concurrency {concurrency}"
        ));
        let cells = unary_cells(&servers, concurrency).await;
        let rates: Vec<String> = cells.iter().map(|c| format!("{:.0}", c.rate)).collect();
        progress.finish_with(&format!("{} calls/s", rates.join(" / ")));
        for ((name, _), cell) in servers.iter().zip(cells) {
            unary.push((*name, concurrency, cell));
        }
    }

    let mut streaming = Vec::new();
    for (name, server) in &servers {
        progress.start(&format!("ListUsers pages of {PAGE}, {name}"));
        let client = UserServiceClient::new(connect(&server.url).await);
        streaming_cell(client.clone(), WARM_UP).await;
        let cell = Cell {
            rate: streaming_cell(client, MEASURE).await,
            ..Cell::default()
        };
        progress.finish(&cell, "msgs/s");
        streaming.push((*name, cell));
    }

    let mut per_call = Vec::new();
    for (name, server) in [&servers[0], &servers[2]] {
        progress.start(&format!("GetUser, {name}, connection per call"));
        let cell = connection_per_call_cell(&server.url).await;
        progress.finish(&cell, "calls/s");
        per_call.push((*name, cell));
    }

    // On lab 10's counting server, which sets TCP_NODELAY on what it accepts.
    let mut gzip = Vec::new();
    for (kind, users) in [
        (
            "seed users (~30 B)",
            (1..=USERS).map(lab03::seed_user).collect::<Vec<_>>(),
        ),
        (
            "wordy users (~340 B)",
            (1..=USERS).map(wordy_user).collect(),
        ),
    ] {
        for compressed in [false, true] {
            let encoding = if compressed { "gzip" } else { "none" };
            progress.start(&format!("ListUsers, bare, {kind}, {encoding}"));
            let cell = gzip_cell(users.clone(), compressed).await;
            progress.finish(&cell, "msgs/s");
            gzip.push((kind, encoding, cell));
        }
    }
    eprintln!(
        "done in {:.1} s\n",
        progress.started.elapsed().as_secs_f64()
    );

    let report = report(&unary, &streaming, &per_call, &gzip);
    print!("{report}");
    let svg = chart(&unary);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../book/src/img/ch10-benchmark.svg"
    );
    std::fs::write(path, svg).expect("write the chart");
    println!("chart written to book/src/img/ch10-benchmark.svg");
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores, client and servers in one process")
}

fn report(
    unary: &[(&str, usize, Cell)],
    streaming: &[(&str, Cell)],
    per_call: &[(&str, Cell)],
    gzip: &[(&str, &str, Cell)],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "machine: {}", machine());
    let _ = writeln!(
        out,
        "closed loop, {USERS} users; warm-up {} ms; unary: median of {ROUNDS} rounds of {} s per \
         server, servers taking turns; other cells: {} s\n",
        WARM_UP.as_millis(),
        MEASURE.as_secs(),
        MEASURE.as_secs()
    );
    let _ = writeln!(
        out,
        "{:<48} {:>10} {:>10} {:>10}",
        "unary GetUser", "calls/s", "p50 µs", "p99 µs"
    );
    let row = |out: &mut String, label: String, cell: &Cell| {
        let _ = writeln!(
            out,
            "{label:<48} {:>10.0} {:>10.0} {:>10.0}",
            cell.rate, cell.p50_us, cell.p99_us
        );
    };
    for (name, concurrency, cell) in unary {
        row(&mut out, format!("{name}, concurrency {concurrency}"), cell);
    }
    for (name, cell) in per_call {
        row(&mut out, format!("{name}, connection per call"), cell);
    }
    let _ = writeln!(out, "\nreference / bare throughput (same socket options):");
    for group in unary.chunks(4) {
        if let [
            (_, concurrency, reference),
            (_, _, bare),
            (_, _, reference_nd),
            (_, _, bare_nd),
        ] = group
        {
            let _ = writeln!(
                out,
                "  concurrency {concurrency:>2}: as shipped {:.0} / {:.0} = {:.2}x; \
                 TCP_NODELAY {:.0} / {:.0} = {:.2}x",
                reference.rate,
                bare.rate,
                reference.rate / bare.rate,
                reference_nd.rate,
                bare_nd.rate,
                reference_nd.rate / bare_nd.rate
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{:<48} {:>10}",
        format!("ListUsers, pages of {PAGE}, one client"),
        "msgs/s"
    );
    for (name, cell) in streaming {
        let _ = writeln!(out, "{name:<48} {:>10.0}", cell.rate);
    }
    let _ = writeln!(
        out,
        "\n{:<48} {:>10} {:>10}",
        "ListUsers, bare, compression", "msgs/s", "bytes/msg"
    );
    for (kind, encoding, cell) in gzip {
        let _ = writeln!(
            out,
            "{:<48} {:>10.0} {:>10.1}",
            format!("{kind}, {encoding}"),
            cell.rate,
            cell.bytes_per_message
        );
    }
    out
}

// ANCHOR: chart
/// A grouped bar chart of unary throughput: one group per concurrency level, one bar per
/// server, each bar labelled with its calls/s, p50 and p99.
fn chart(unary: &[(&str, usize, Cell)]) -> String {
    let (width, height) = (1040.0, 460.0);
    let (left, top, plot_h) = (80.0, 70.0, 270.0);
    let max = unary.iter().map(|(_, _, c)| c.rate).fold(1.0, f64::max) * 1.15;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="14">"##
    );
    let _ = writeln!(
        svg,
        r##"<rect width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="28" text-anchor="middle" font-size="17" fill="#1a1a1a">Unary GetUser throughput, closed loop (median of {ROUNDS} rounds of {} s)</text>"##,
        width / 2.0,
        MEASURE.as_secs()
    );
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="50" text-anchor="middle" font-size="13" fill="#333333">{}</text>"##,
        width / 2.0,
        machine()
    );
    // Axis and grid.
    for step in 0..=4 {
        let value = max * step as f64 / 4.0;
        let y = top + plot_h - plot_h * step as f64 / 4.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#dddddd"/><text x="{}" y="{:.1}" text-anchor="end" font-size="13" fill="#333333">{:.0}k</text>"##,
            width - 30.0,
            left - 8.0,
            y + 4.0,
            value / 1000.0
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="20" y="{}" transform="rotate(-90 20 {})" text-anchor="middle" font-size="13" fill="#333333">calls per second</text>"##,
        top + plot_h / 2.0,
        top + plot_h / 2.0
    );
    let group_w = (width - left - 30.0) / CONCURRENCY.len() as f64;
    let bar_w = group_w * 0.2;
    let colours = ["#9fb7d9", "#f0d090", "#3b6fb6", "#d08a10"];
    // Row headers for the latency labels under the bars.
    for (row, label) in ["p50", "p99"].iter().enumerate() {
        let _ = writeln!(
            svg,
            r##"<text x="{}" y="{:.1}" text-anchor="end" font-size="13" fill="#1a1a1a">{label}</text>"##,
            left - 8.0,
            top + plot_h + 20.0 + 18.0 * row as f64
        );
    }
    for (i, (_, concurrency, cell)) in unary.iter().enumerate() {
        let group = i / 4;
        let which = i % 4;
        let x = left + group_w * group as f64 + group_w * 0.08 + bar_w * which as f64 * 1.05;
        let h = plot_h * cell.rate / max;
        let y = top + plot_h - h;
        let _ = writeln!(
            svg,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="{}"/>"##,
            colours[which]
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="#1a1a1a">{:.1}k</text>"##,
            x + bar_w / 2.0,
            y - 6.0,
            cell.rate / 1000.0
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="#1a1a1a">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="#1a1a1a">{}</text>"##,
            x + bar_w / 2.0,
            top + plot_h + 20.0,
            short_latency(cell.p50_us),
            x + bar_w / 2.0,
            top + plot_h + 38.0,
            short_latency(cell.p99_us)
        );
        if which == 1 {
            let _ = writeln!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="14" fill="#1a1a1a">concurrency {concurrency}</text>"##,
                left + group_w * group as f64 + group_w / 2.0,
                top + plot_h + 62.0
            );
        }
    }
    let names = [
        "reference, as shipped",
        "bare tonic, same accept",
        "reference, TCP_NODELAY",
        "bare tonic, TCP_NODELAY",
    ];
    for (i, name) in names.iter().enumerate() {
        let x = left + 230.0 * i as f64;
        let y = height - 22.0;
        let _ = writeln!(
            svg,
            r##"<rect x="{x}" y="{}" width="16" height="16" fill="{}"/><text x="{}" y="{y}" font-size="14" fill="#1a1a1a">{name}</text>"##,
            y - 13.0,
            colours[i],
            x + 24.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}
// ANCHOR_END: chart

/// `57µs` or `42.2ms`: short enough to sit under a bar.
fn short_latency(us: f64) -> String {
    if us < 1000.0 {
        format!("{us:.0}µs")
    } else {
        format!("{:.1}ms", us / 1000.0)
    }
}
