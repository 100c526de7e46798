//! Lab 8's tests, in the order of the TODOs: PEM files, the server's TLS, the client's TLS,
//! the client's identity, bearer tokens, authorization per method, the client's token.
//!
//! The same file tests your code (`cargo test -p lab08-security`) and the reference
//! solution (`cargo test -p solution08-security`), so what passes here is exactly what the
//! solution does.
//!
//! Every certificate and key is made fresh by `TestPki::generate()` (src/pki.rs): none is
//! committed. Servers run on 127.0.0.1:0 with real TLS handshakes.

use std::{
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use lab03::{InMemoryUserStore, lookup_user, seed_user};
use lab08::{
    AttachToken, BearerAuth, CLIENT_NAME, CLIENT_URI, EndpointError, InvalidToken, PeerIdentity,
    PemError, PemKind, Role, TestPki, authorize, client_tls_config, client_tls_from_files,
    load_pem, peer_identity, protect, required_role, server_tls_config, server_tls_from_files,
    tls_endpoint,
};
use test_support::{TestServer, describe_result, describe_status, expect_code, serve_in_memory};
use tokio::{net::TcpListener, sync::oneshot};
use tokio_stream::{Stream, StreamExt, wrappers::TcpListenerStream};
use tonic::{
    Code, Request, Response, Status, Streaming,
    metadata::MetadataMap,
    service::{Interceptor, Routes, interceptor::InterceptedService},
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Server, ServerTlsConfig},
};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, CreateUsersResponse, GetUserRequest, ListUsersRequest, User,
    user_service_client::UserServiceClient,
    user_service_server::{UserService, UserServiceServer},
};

/// The generous upper bound on anything a test waits for. Reaching it is a failure.
const PATIENCE: Duration = Duration::from_secs(10);

/// Fake tokens for the tests (real ones come from a secret store, never from source code).
const READ_ONLY_TOKEN: &str = "test-token-read-only-7f3a";
const READ_WRITE_TOKEN: &str = "test-token-read-write-91c2";

/// Waits for `future`, failing the test with `what` if it takes longer than [`PATIENCE`].
async fn within<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("gave up after {PATIENCE:?} waiting for {what}"))
}

// ---------------------------------------------------------------------------------------
// A UserService that records every call that reaches it.
// ---------------------------------------------------------------------------------------

/// What the service saw of one call.
#[derive(Debug, Clone)]
struct Seen {
    method: &'static str,
    /// The role step 5's interceptor put in the extensions, if any.
    role: Option<Role>,
    /// `peer_identity` of the request, when the service was asked to read it.
    identity: Option<PeerIdentity>,
    /// `{:?}` of the request metadata, as a careless log line would print it.
    metadata: String,
}

#[derive(Debug, Clone, Default)]
struct Calls(Arc<Mutex<Vec<Seen>>>);

impl Calls {
    fn seen(&self) -> Vec<Seen> {
        self.0.lock().expect("not poisoned").clone()
    }

    fn methods(&self) -> Vec<&'static str> {
        self.seen().iter().map(|seen| seen.method).collect()
    }
}

/// A complete `UserService` for these tests: `GetUser` answers with lab 3's rule,
/// `ListUsers` streams every stored user, `CreateUsers` counts what it was sent, `Chat`
/// echoes. Each call is recorded before it is answered.
#[derive(Debug, Clone)]
struct RecordingService {
    store: Arc<InMemoryUserStore>,
    calls: Calls,
    /// Whether to call your `peer_identity` (step 4) on each request.
    read_identity: bool,
}

impl RecordingService {
    fn new(calls: &Calls) -> Self {
        Self {
            store: Arc::new(InMemoryUserStore::with_seed_users(3)),
            calls: calls.clone(),
            read_identity: false,
        }
    }

    fn reading_identity(calls: &Calls) -> Self {
        Self {
            read_identity: true,
            ..Self::new(calls)
        }
    }

    fn record<T>(&self, method: &'static str, request: &Request<T>) {
        let seen = Seen {
            method,
            role: request.extensions().get::<Role>().copied(),
            identity: if self.read_identity {
                peer_identity(request)
            } else {
                None
            },
            metadata: format!("{:?}", request.metadata()),
        };
        self.calls.0.lock().expect("not poisoned").push(seen);
    }
}

type BoxStream<T> = std::pin::Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl UserService for RecordingService {
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        self.record("GetUser", &request);
        Ok(Response::new(lookup_user(
            self.store.as_ref(),
            request.get_ref().id,
        )?))
    }

    type ListUsersStream = BoxStream<User>;

    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        self.record("ListUsers", &request);
        let users: Vec<User> = self.store.read().values().cloned().collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(
            users.into_iter().map(Ok),
        ))))
    }

    async fn create_users(
        &self,
        request: Request<Streaming<CreateUserRequest>>,
    ) -> Result<Response<CreateUsersResponse>, Status> {
        self.record("CreateUsers", &request);
        let mut requests = request.into_inner();
        let mut count = 0;
        while requests.message().await?.is_some() {
            count += 1;
        }
        Ok(Response::new(CreateUsersResponse {
            count,
            users: Vec::new(),
        }))
    }

    type ChatStream = BoxStream<ChatMessage>;

    async fn chat(
        &self,
        request: Request<Streaming<ChatMessage>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        self.record("Chat", &request);
        let replies = request.into_inner().map(|message| {
            message.map(|message| ChatMessage {
                user: "Server".to_owned(),
                message: format!("Echo: {}", message.message),
            })
        });
        Ok(Response::new(Box::pin(replies)))
    }
}

// ---------------------------------------------------------------------------------------
// Servers and clients.
// ---------------------------------------------------------------------------------------

/// A server on `127.0.0.1:0` with TLS, for the length of one test.
struct TlsServer {
    addr: std::net::SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl TlsServer {
    async fn start(routes: Routes, tls: ServerTlsConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0 should always work on loopback");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let mut server = Server::builder().tls_config(tls).unwrap_or_else(|error| {
            panic!(
                "tonic refused the server's TLS configuration: {}",
                error_chain(&error)
            )
        });
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.add_routes(routes).serve_with_incoming_shutdown(
            TcpListenerStream::new(listener),
            async {
                let _ = stopped.await;
            },
        ));
        Self { addr, _stop: stop }
    }

    /// `https://127.0.0.1:<port>`
    fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// A plaintext channel to the TLS port, as `grpc.insecure_channel` would make.
    fn plaintext_channel(&self) -> Channel {
        Endpoint::from_shared(format!("http://{}", self.addr))
            .expect("a valid URL")
            .connect_lazy()
    }

    /// A channel with `tls`, built by the test itself (not with your step 3).
    fn channel(&self, tls: ClientTlsConfig) -> Channel {
        Endpoint::from_shared(self.url())
            .expect("a valid URL")
            .tls_config(tls)
            .expect("a valid client TLS configuration")
            .connect_lazy()
    }
}

/// A client TLS configuration written by the test: trust `ca_pem`, expect "localhost".
fn trusting(ca_pem: &str) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca_pem))
        .domain_name("localhost")
}

/// Your step 2: the server's TLS, with or without mutual TLS.
fn your_server_tls(pki: &TestPki, mutual: bool) -> ServerTlsConfig {
    let client_ca = mutual.then_some(pki.ca_cert.as_bytes());
    server_tls_config(
        pki.server.cert.as_bytes(),
        pki.server.key.as_bytes(),
        client_ca,
    )
}

/// Your step 3: a channel to `server` with `tls`, through `tls_endpoint`.
fn your_channel(server: &TlsServer, tls: ClientTlsConfig) -> Channel {
    tls_endpoint(&server.url(), tls)
        .unwrap_or_else(|error| panic!("tls_endpoint({}) failed: {error}", server.url()))
        .connect_lazy()
}

fn user_routes(service: RecordingService) -> Routes {
    Routes::new(UserServiceServer::new(service))
}

/// The error and every source under it, on one line: where TLS errors hide their detail.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn get_user(channel: Channel, id: i32) -> Result<User, Status> {
    within(
        "GetUser",
        UserServiceClient::new(channel).get_user(GetUserRequest { id }),
    )
    .await
    .map(Response::into_inner)
}

/// Asserts that a call the server refused during the TLS handshake failed.
///
/// With TLS 1.3 the client finishes its side of the handshake before the server has
/// checked anything the client sent, so the refusal (a TLS alert, or just a closed
/// connection) reaches the client while it sends its first request. Which error tonic
/// reports then depends on where the connection was: UNKNOWN ("transport error"),
/// CANCELLED ("operation was canceled") or INTERNAL ("h2 protocol error"), never OK.
#[track_caller]
fn expect_refused_by_server(result: Result<User, Status>, what: &str) {
    match result {
        Ok(user) => {
            panic!("{what}: the server should refuse the connection, but answered {user:?}")
        }
        Err(status) => assert!(
            matches!(
                status.code(),
                Code::Unknown | Code::Cancelled | Code::Internal | Code::Unavailable
            ),
            "{what}: expected a transport failure, got {} ({})",
            describe_status(&status),
            error_chain(&status)
        ),
    }
}

/// Asserts that the *client* refused the server's certificate: tonic reports that as
/// UNAVAILABLE, with rustls's reason in the message.
#[track_caller]
fn expect_refused_by_client(result: Result<User, Status>, reason: &str) {
    let status = expect_code(result, Code::Unavailable);
    assert!(
        status.message().contains(reason),
        "the client should refuse the server's certificate with {reason:?}, got {:?}",
        status.message()
    );
}

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "lab08-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("creating a temporary directory");
        Self(dir)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("writing a temporary file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------
// Calling every method with a given `authorization` value.
// ---------------------------------------------------------------------------------------

const METHODS: [&str; 4] = ["GetUser", "ListUsers", "CreateUsers", "Chat"];

fn with_authorization<T>(message: T, authorization: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(value) = authorization {
        request.metadata_mut().insert(
            "authorization",
            value.parse().expect("a valid ASCII metadata value"),
        );
    }
    request
}

/// Calls `method` over `channel`, sending `authorization` as is, and reads the whole answer.
async fn call(
    channel: Channel,
    method: &str,
    authorization: Option<&str>,
) -> Result<String, Status> {
    let mut client = UserServiceClient::new(channel);
    match method {
        "GetUser" => {
            let request = with_authorization(GetUserRequest { id: 1 }, authorization);
            let user = client.get_user(request).await?.into_inner();
            Ok(user.name)
        }
        "ListUsers" => {
            let request = with_authorization(
                ListUsersRequest {
                    page: 1,
                    page_size: 10,
                },
                authorization,
            );
            let mut users = client.list_users(request).await?.into_inner();
            let mut count = 0;
            while users.message().await?.is_some() {
                count += 1;
            }
            Ok(format!("{count} users"))
        }
        "CreateUsers" => {
            let batch = tokio_stream::iter(vec![
                CreateUserRequest {
                    name: "Ada".to_owned(),
                    email: "ada@example.com".to_owned(),
                },
                CreateUserRequest {
                    name: "Grace".to_owned(),
                    email: "grace@example.com".to_owned(),
                },
            ]);
            let request = with_authorization(batch, authorization);
            let response = client.create_users(request).await?.into_inner();
            Ok(format!("count {}", response.count))
        }
        "Chat" => {
            let messages = tokio_stream::iter(vec![ChatMessage {
                user: "Client".to_owned(),
                message: "hi".to_owned(),
            }]);
            let request = with_authorization(messages, authorization);
            let mut replies = client.chat(request).await?.into_inner();
            let mut texts = Vec::new();
            while let Some(reply) = replies.message().await? {
                texts.push(reply.message);
            }
            Ok(texts.join(", "))
        }
        other => panic!("no method {other}"),
    }
}

/// Every method's outcome with `authorization`, one `(method, result)` per method.
async fn call_every_method(
    channel: &Channel,
    authorization: Option<&str>,
) -> Vec<(&'static str, Result<String, Status>)> {
    let mut outcomes = Vec::new();
    for method in METHODS {
        let outcome = within(method, call(channel.clone(), method, authorization)).await;
        outcomes.push((method, outcome));
    }
    outcomes
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn two_role_auth() -> BearerAuth {
    BearerAuth::new()
        .with_token(READ_ONLY_TOKEN, Role::ReadOnly)
        .with_token(READ_WRITE_TOKEN, Role::ReadWrite)
}

fn metadata_with(authorization: Option<&str>) -> MetadataMap {
    with_authorization((), authorization).metadata().clone()
}

mod step_1_pem_files {
    use super::*;

    // ANCHOR: reads_certificates_and_keys_that_are_what_they_claim
    #[test]
    fn reads_certificates_and_keys_that_are_what_they_claim() {
        let pki = TestPki::generate();
        let dir = TempDir::new();
        let files = pki.write_to(&dir.0).expect("writing the test PKI");

        let ca = load_pem(&files.ca_cert, PemKind::Certificate).expect("ca.pem is a certificate");
        assert_eq!(
            ca,
            pki.ca_cert.as_bytes(),
            "load_pem returns the file's bytes"
        );
        let key = load_pem(&files.server_key, PemKind::PrivateKey).expect("server.key is a key");
        assert_eq!(key, pki.server.key.as_bytes());

        // A chain (leaf, then its CA) is a certificate file too, and so is a file holding a
        // certificate and its key together, for either use.
        let chain = dir.write("chain.pem", format!("{}{}", pki.server.cert, pki.ca_cert));
        load_pem(&chain, PemKind::Certificate).expect("a chain of two certificates is fine");
        let combined = dir.write(
            "combined.pem",
            format!("{}{}", pki.server.cert, pki.server.key),
        );
        load_pem(&combined, PemKind::Certificate).expect("a combined file holds a certificate");
        load_pem(&combined, PemKind::PrivateKey).expect("a combined file holds a key");
    }
    // ANCHOR_END: reads_certificates_and_keys_that_are_what_they_claim

    // ANCHOR: a_missing_file_is_an_error_that_names_the_file
    #[test]
    fn a_missing_file_is_an_error_that_names_the_file() {
        let dir = TempDir::new();
        let missing = dir.0.join("no-such-cert.pem");
        let error = load_pem(&missing, PemKind::Certificate)
            .expect_err("a file that does not exist cannot be loaded");
        assert!(
            matches!(error, PemError::Unreadable { .. }),
            "expected PemError::Unreadable, got {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&missing.display().to_string()),
            "the message should name the file, got {message:?}"
        );
    }
    // ANCHOR_END: a_missing_file_is_an_error_that_names_the_file

    // ANCHOR: a_file_that_is_not_pem_is_an_error_that_says_so
    #[test]
    fn a_file_that_is_not_pem_is_an_error_that_says_so() {
        let dir = TempDir::new();
        for (name, contents) in [
            // The first bytes of a DER certificate: binary, not PEM text.
            (
                "cert.der",
                vec![0x30, 0x82, 0x01, 0x8a, 0x30, 0x82, 0x01, 0x30, 0xa0, 0x03],
            ),
            ("empty.pem", Vec::new()),
            (
                "notes.txt",
                b"the certificate is in the other folder\n".to_vec(),
            ),
        ] {
            let path = dir.write(name, contents);
            let error = load_pem(&path, PemKind::Certificate)
                .expect_err("a file without a PEM block is not a certificate file");
            assert!(
                matches!(error, PemError::NotPem { .. }),
                "{name}: expected PemError::NotPem, got {error:?}"
            );
            let message = error.to_string();
            assert!(
                message.contains(name) && message.contains("not a PEM file"),
                "{name}: the message should name the file and say it is not PEM, got {message:?}"
            );
        }
    }
    // ANCHOR_END: a_file_that_is_not_pem_is_an_error_that_says_so

    // ANCHOR: a_key_where_a_certificate_belongs_is_refused_and_vice_versa
    #[test]
    fn a_key_where_a_certificate_belongs_is_refused_and_vice_versa() {
        let pki = TestPki::generate();
        let dir = TempDir::new();
        let key = dir.write("server.key", &pki.server.key);
        let cert = dir.write("server.pem", &pki.server.cert);

        let error =
            load_pem(&key, PemKind::Certificate).expect_err("a private key is not a certificate");
        match &error {
            PemError::WrongContent { found, .. } => assert_eq!(found, &["PRIVATE KEY"]),
            other => panic!("expected PemError::WrongContent, got {other:?}"),
        }
        assert!(
            error.to_string().contains("swapped"),
            "the message should suggest the files are swapped, got {:?}",
            error.to_string()
        );

        let error =
            load_pem(&cert, PemKind::PrivateKey).expect_err("a certificate is not a private key");
        match &error {
            PemError::WrongContent { found, .. } => assert_eq!(found, &["CERTIFICATE"]),
            other => panic!("expected PemError::WrongContent, got {other:?}"),
        }
    }
    // ANCHOR_END: a_key_where_a_certificate_belongs_is_refused_and_vice_versa
}

mod step_2_server_tls {
    use super::*;

    #[tokio::test]
    async fn a_client_that_trusts_the_ca_gets_a_user_over_tls() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, false),
        )
        .await;

        let user = get_user(server.channel(trusting(&pki.ca_cert)), 1)
            .await
            .expect("a client that trusts the test CA should get user 1 over TLS");
        assert_eq!(user, seed_user(1));
    }

    // ANCHOR: a_plaintext_client_is_refused_and_the_server_keeps_serving
    #[tokio::test]
    async fn a_plaintext_client_is_refused_and_the_server_keeps_serving() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, false),
        )
        .await;

        expect_refused_by_server(
            get_user(server.plaintext_channel(), 1).await,
            "a plaintext client",
        );
        assert!(
            calls.methods().is_empty(),
            "no plaintext call may reach the service"
        );

        get_user(server.channel(trusting(&pki.ca_cert)), 2)
            .await
            .expect("after refusing a plaintext client, the server still serves TLS clients");
    }
    // ANCHOR_END: a_plaintext_client_is_refused_and_the_server_keeps_serving

    // ANCHOR: a_client_that_trusts_another_ca_refuses_the_server
    #[tokio::test]
    async fn a_client_that_trusts_another_ca_refuses_the_server() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, false),
        )
        .await;

        expect_refused_by_client(
            get_user(server.channel(trusting(&pki.foreign_ca_cert)), 1).await,
            "UnknownIssuer",
        );
        assert!(calls.methods().is_empty());
    }
    // ANCHOR_END: a_client_that_trusts_another_ca_refuses_the_server

    // ANCHOR: a_client_that_expects_another_server_name_refuses_the_server
    #[tokio::test]
    async fn a_client_that_expects_another_server_name_refuses_the_server() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, false),
        )
        .await;

        let tls = trusting(&pki.ca_cert).domain_name("users.internal.example");
        expect_refused_by_client(
            get_user(server.channel(tls), 1).await,
            "not valid for name \"users.internal.example\"",
        );
        assert!(calls.methods().is_empty());
    }
    // ANCHOR_END: a_client_that_expects_another_server_name_refuses_the_server

    #[tokio::test]
    async fn mutual_tls_serves_a_client_with_a_certificate_from_the_client_ca() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, true),
        )
        .await;

        let tls = trusting(&pki.ca_cert).identity(pki.client.identity());
        let user = get_user(server.channel(tls), 3)
            .await
            .expect("a client certificate from the client CA should be accepted");
        assert_eq!(user, seed_user(3));
    }

    // ANCHOR: mutual_tls_refuses_a_client_without_a_certificate
    #[tokio::test]
    async fn mutual_tls_refuses_a_client_without_a_certificate() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, true),
        )
        .await;

        expect_refused_by_server(
            get_user(server.channel(trusting(&pki.ca_cert)), 1).await,
            "with a client CA, a client without a certificate",
        );
        assert!(
            calls.methods().is_empty(),
            "no unauthenticated call may reach the service"
        );
    }
    // ANCHOR_END: mutual_tls_refuses_a_client_without_a_certificate

    // ANCHOR: mutual_tls_refuses_a_client_certificate_from_a_foreign_ca
    #[tokio::test]
    async fn mutual_tls_refuses_a_client_certificate_from_a_foreign_ca() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, true),
        )
        .await;

        // Same names as the real client certificate, signed by a CA the server doesn't trust.
        let tls = trusting(&pki.ca_cert).identity(pki.foreign_client.identity());
        expect_refused_by_server(
            get_user(server.channel(tls), 1).await,
            "with a client CA, a client certificate from a foreign CA",
        );
        assert!(
            calls.methods().is_empty(),
            "an impostor's call may not reach the service"
        );

        let tls = trusting(&pki.ca_cert).identity(pki.client.identity());
        get_user(server.channel(tls), 1)
            .await
            .expect("after refusing an impostor, the server still serves real clients");
    }
    // ANCHOR_END: mutual_tls_refuses_a_client_certificate_from_a_foreign_ca
}

mod step_3_client_tls {
    use super::*;

    // ANCHOR: connects_to_the_address_in_the_url_with_the_ca
    #[tokio::test]
    async fn connects_to_the_address_in_the_url_with_the_ca() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, false),
        )
        .await;

        // No server name: the client checks the URL's host, 127.0.0.1, which the server's
        // certificate lists as an IP-address SAN.
        let tls = client_tls_config(pki.ca_cert.as_bytes(), None, None);
        let user = get_user(your_channel(&server, tls), 2)
            .await
            .expect("the certificate is valid for 127.0.0.1, the host in the URL");
        assert_eq!(user, seed_user(2));
    }
    // ANCHOR_END: connects_to_the_address_in_the_url_with_the_ca

    // ANCHOR: a_server_name_replaces_the_host_of_the_url
    #[tokio::test]
    async fn a_server_name_replaces_the_host_of_the_url() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, false),
        )
        .await;

        let tls = client_tls_config(pki.ca_cert.as_bytes(), Some("localhost"), None);
        get_user(your_channel(&server, tls), 1)
            .await
            .expect("the certificate is valid for localhost");

        let tls = client_tls_config(pki.ca_cert.as_bytes(), Some("users.internal.example"), None);
        expect_refused_by_client(
            get_user(your_channel(&server, tls), 1).await,
            "not valid for name \"users.internal.example\"",
        );
    }
    // ANCHOR_END: a_server_name_replaces_the_host_of_the_url

    // ANCHOR: refuses_a_server_whose_certificate_another_ca_signed
    #[tokio::test]
    async fn refuses_a_server_whose_certificate_another_ca_signed() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, false),
        )
        .await;

        let tls = client_tls_config(pki.foreign_ca_cert.as_bytes(), None, None);
        expect_refused_by_client(
            get_user(your_channel(&server, tls), 1).await,
            "UnknownIssuer",
        );
    }
    // ANCHOR_END: refuses_a_server_whose_certificate_another_ca_signed

    #[tokio::test]
    async fn presents_the_client_certificate_for_mutual_tls() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::new(&calls)),
            your_server_tls(&pki, true),
        )
        .await;

        let tls = client_tls_config(pki.ca_cert.as_bytes(), None, Some(pki.client.identity()));
        get_user(your_channel(&server, tls), 1)
            .await
            .expect("with its certificate, the client passes the server's mutual TLS");
    }

    #[tokio::test]
    async fn tls_endpoint_refuses_a_url_that_would_connect_in_plaintext() {
        let pki = TestPki::generate();
        for url in ["http://127.0.0.1:50051", "HTTP://localhost:50051"] {
            let tls = client_tls_config(pki.ca_cert.as_bytes(), None, None);
            match tls_endpoint(url, tls) {
                Err(EndpointError::NotHttps { url: refused }) => assert_eq!(refused, url),
                Err(other) => panic!("{url}: expected EndpointError::NotHttps, got {other:?}"),
                Ok(_) => panic!(
                    "{url}: tonic would connect to this URL in plaintext despite the TLS \
                     configuration; tls_endpoint must refuse it"
                ),
            }
        }
        let tls = client_tls_config(pki.ca_cert.as_bytes(), None, None);
        assert!(
            matches!(
                tls_endpoint("not a url", tls),
                Err(EndpointError::Invalid(_))
            ),
            "a string that is not a URL is EndpointError::Invalid"
        );
    }

    // ANCHOR: both_configurations_load_from_files
    #[tokio::test]
    async fn both_configurations_load_from_files() {
        let pki = TestPki::generate();
        let dir = TempDir::new();
        let files = pki.write_to(&dir.0).expect("writing the test PKI");
        let calls = Calls::default();

        let server_tls =
            server_tls_from_files(&files.server_cert, &files.server_key, Some(&files.ca_cert))
                .expect("the server's files are valid PEM");
        let server = TlsServer::start(user_routes(RecordingService::new(&calls)), server_tls).await;
        let client_tls = client_tls_from_files(
            &files.ca_cert,
            Some("localhost"),
            Some((&files.client_cert, &files.client_key)),
        )
        .expect("the client's files are valid PEM");
        get_user(your_channel(&server, client_tls), 1)
            .await
            .expect("mutual TLS configured from files should work");

        // Swapped certificate and key: refused when the configuration is built, by name.
        let error = server_tls_from_files(&files.server_key, &files.server_cert, None)
            .expect_err("a key passed as the certificate must be refused");
        assert!(
            error.to_string().contains("server.key"),
            "the error should name the file, got {:?}",
            error.to_string()
        );
    }
    // ANCHOR_END: both_configurations_load_from_files
}

mod step_4_peer_identity {
    use super::*;

    async fn identities_seen(
        server: &TlsServer,
        tls: ClientTlsConfig,
        calls: &Calls,
    ) -> Option<PeerIdentity> {
        get_user(server.channel(tls), 1)
            .await
            .expect("the call itself should succeed");
        let seen = calls.seen();
        seen.last()
            .expect("the call reached the service")
            .identity
            .clone()
    }

    // ANCHOR: the_handler_sees_the_names_in_the_client_certificate
    #[tokio::test]
    async fn the_handler_sees_the_names_in_the_client_certificate() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::reading_identity(&calls)),
            your_server_tls(&pki, true),
        )
        .await;

        let tls = trusting(&pki.ca_cert).identity(pki.client.identity());
        let identity = identities_seen(&server, tls, &calls)
            .await
            .expect("over mutual TLS the handler should see the client's identity");
        assert_eq!(identity.common_name.as_deref(), Some(CLIENT_NAME));
        assert_eq!(identity.uris, [CLIENT_URI]);
        assert!(
            identity.dns_names.is_empty(),
            "the client certificate has no DNS names"
        );
    }
    // ANCHOR_END: the_handler_sees_the_names_in_the_client_certificate

    // ANCHOR: each_connection_carries_its_own_clients_identity
    #[tokio::test]
    async fn each_connection_carries_its_own_clients_identity() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::reading_identity(&calls)),
            your_server_tls(&pki, true),
        )
        .await;

        let reporting = pki.issue_client("reporting");
        let tls = trusting(&pki.ca_cert).identity(reporting.identity());
        let identity = identities_seen(&server, tls, &calls)
            .await
            .expect("the second client has an identity too");
        assert_eq!(identity.common_name.as_deref(), Some("reporting"));
        assert_eq!(identity.uris, ["spiffe://workbook.test/reporting"]);

        let tls = trusting(&pki.ca_cert).identity(pki.client.identity());
        let identity = identities_seen(&server, tls, &calls)
            .await
            .expect("the first client has an identity");
        assert_eq!(identity.common_name.as_deref(), Some(CLIENT_NAME));
    }
    // ANCHOR_END: each_connection_carries_its_own_clients_identity

    // ANCHOR: without_a_client_certificate_there_is_no_identity
    #[tokio::test]
    async fn without_a_client_certificate_there_is_no_identity() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let server = TlsServer::start(
            user_routes(RecordingService::reading_identity(&calls)),
            your_server_tls(&pki, false),
        )
        .await;

        let identity = identities_seen(&server, trusting(&pki.ca_cert), &calls).await;
        assert_eq!(
            identity, None,
            "TLS without a client certificate names nobody"
        );
    }
    // ANCHOR_END: without_a_client_certificate_there_is_no_identity

    #[tokio::test]
    async fn over_plaintext_there_is_no_identity() {
        let calls = Calls::default();
        let server =
            TestServer::start(user_routes(RecordingService::reading_identity(&calls))).await;
        get_user(server.channel(), 1)
            .await
            .expect("the plaintext call itself should succeed");
        let identity = calls
            .seen()
            .last()
            .expect("the call reached the service")
            .identity
            .clone();
        assert_eq!(identity, None, "a plaintext connection has no certificates");
    }
}

mod step_5_bearer_auth {
    use super::*;

    /// What `authenticate` says about `authorization`, as one comparable line.
    fn outcome(auth: &BearerAuth, authorization: Option<&str>) -> Result<Role, String> {
        auth.authenticate(&metadata_with(authorization))
            .map_err(|status| describe_status(&status))
    }

    #[track_caller]
    fn expect_unauthenticated(auth: &BearerAuth, authorization: Option<&str>) -> String {
        match auth.authenticate(&metadata_with(authorization)) {
            Err(status) if status.code() == Code::Unauthenticated => status.message().to_owned(),
            Err(status) => panic!(
                "authorization {authorization:?}: expected UNAUTHENTICATED, got {}",
                describe_status(&status)
            ),
            Ok(role) => panic!(
                "authorization {authorization:?} must not authenticate anyone, but gave {role:?}"
            ),
        }
    }

    /// An interceptor-only server (no per-method check yet): `auth` in front of the service.
    fn authenticated_routes(auth: BearerAuth, calls: &Calls) -> Routes {
        Routes::new(InterceptedService::new(
            UserServiceServer::new(RecordingService::new(calls)),
            auth,
        ))
    }

    // ANCHOR: accepts_each_known_token_with_its_role
    #[test]
    fn accepts_each_known_token_with_its_role() {
        let auth = two_role_auth();
        assert_eq!(
            outcome(&auth, Some(&bearer(READ_ONLY_TOKEN))),
            Ok(Role::ReadOnly)
        );
        assert_eq!(
            outcome(&auth, Some(&bearer(READ_WRITE_TOKEN))),
            Ok(Role::ReadWrite)
        );
    }
    // ANCHOR_END: accepts_each_known_token_with_its_role

    // ANCHOR: the_scheme_name_is_case_insensitive
    #[test]
    fn the_scheme_name_is_case_insensitive() {
        // As in every HTTP authentication scheme (RFC 9110, section 11.1).
        let auth = two_role_auth();
        for value in [
            format!("bearer {READ_ONLY_TOKEN}"),
            format!("BEARER {READ_ONLY_TOKEN}"),
        ] {
            assert_eq!(
                outcome(&auth, Some(&value)),
                Ok(Role::ReadOnly),
                "{value:?}"
            );
        }
    }
    // ANCHOR_END: the_scheme_name_is_case_insensitive

    // ANCHOR: a_call_without_authorization_is_unauthenticated
    #[test]
    fn a_call_without_authorization_is_unauthenticated() {
        let message = expect_unauthenticated(&two_role_auth(), None);
        assert!(
            message.contains("missing"),
            "the message should say the metadata is missing, got {message:?}"
        );
    }
    // ANCHOR_END: a_call_without_authorization_is_unauthenticated

    // ANCHOR: a_value_that_is_not_bearer_token_is_unauthenticated
    #[test]
    fn a_value_that_is_not_bearer_token_is_unauthenticated() {
        let auth = two_role_auth();
        for value in [
            // The seed's `value.replace('Bearer ', '')` accepts this one: a bare token.
            READ_WRITE_TOKEN.to_owned(),
            "Basic dXNlcjpwYXNzd29yZA==".to_owned(),
            format!("Token {READ_WRITE_TOKEN}"),
            "Bearer".to_owned(),
            "Bearer ".to_owned(),
            format!("Bearer {READ_WRITE_TOKEN} extra"),
            format!("{READ_WRITE_TOKEN} Bearer "),
        ] {
            let message = expect_unauthenticated(&auth, Some(&value));
            assert!(
                message.contains("malformed"),
                "{value:?}: the message should call the value malformed, got {message:?}"
            );
        }
    }
    // ANCHOR_END: a_value_that_is_not_bearer_token_is_unauthenticated

    // ANCHOR: an_unknown_token_is_unauthenticated
    #[test]
    fn an_unknown_token_is_unauthenticated() {
        let auth = two_role_auth();
        let almost = &READ_WRITE_TOKEN[..READ_WRITE_TOKEN.len() - 1];
        for token in ["wrong-token", almost, &format!("{READ_WRITE_TOKEN}0")] {
            let message = expect_unauthenticated(&auth, Some(&bearer(token)));
            assert!(
                message.contains("invalid"),
                "{token:?}: the message should call the token invalid, got {message:?}"
            );
        }
        let nobody = BearerAuth::new();
        expect_unauthenticated(&nobody, Some(&bearer(READ_WRITE_TOKEN)));
    }
    // ANCHOR_END: an_unknown_token_is_unauthenticated

    // ANCHOR: no_message_repeats_the_token
    #[test]
    fn no_message_repeats_the_token() {
        let auth = two_role_auth();
        let guess = "guessed-secret-token-4242";
        for value in [bearer(guess), guess.to_owned(), format!("Basic {guess}")] {
            let message = expect_unauthenticated(&auth, Some(&value));
            assert!(
                !message.contains(guess),
                "an error message travels back to the client and into logs; it must not \
                 repeat the presented token, got {message:?}"
            );
        }
    }
    // ANCHOR_END: no_message_repeats_the_token

    // ANCHOR: debug_output_never_shows_a_token
    #[test]
    fn debug_output_never_shows_a_token() {
        let text = format!("{:?}", two_role_auth());
        for token in [READ_ONLY_TOKEN, READ_WRITE_TOKEN] {
            assert!(
                !text.contains(token),
                "`{{:?}}` of BearerAuth printed a token: {text}; write Debug by hand and \
                 leave the tokens out"
            );
        }
        assert!(
            text.contains("BearerAuth"),
            "Debug should still say what it is: {text}"
        );
    }
    // ANCHOR_END: debug_output_never_shows_a_token

    // ANCHOR: every_method_needs_a_token_streaming_ones_included
    #[tokio::test]
    async fn every_method_needs_a_token_streaming_ones_included() {
        let calls = Calls::default();
        let channel = serve_in_memory(authenticated_routes(two_role_auth(), &calls)).await;

        for (method, outcome) in call_every_method(&channel, None).await {
            let status = expect_code(outcome, Code::Unauthenticated);
            assert!(
                !status.message().is_empty(),
                "{method}: say what is missing"
            );
        }
        for (method, outcome) in call_every_method(&channel, Some("Bearer wrong-token")).await {
            expect_code(outcome, Code::Unauthenticated);
            let _ = method;
        }
        assert_eq!(
            calls.methods(),
            Vec::<&str>::new(),
            "a call refused by the interceptor must never reach a handler (it runs on the \
             request headers, before any message is read)"
        );
    }
    // ANCHOR_END: every_method_needs_a_token_streaming_ones_included

    // ANCHOR: with_a_token_every_method_runs_and_the_handler_sees_the_role
    #[tokio::test]
    async fn with_a_token_every_method_runs_and_the_handler_sees_the_role() {
        let calls = Calls::default();
        let channel = serve_in_memory(authenticated_routes(two_role_auth(), &calls)).await;

        for (method, outcome) in call_every_method(&channel, Some(&bearer(READ_ONLY_TOKEN))).await {
            outcome.unwrap_or_else(|status| {
                panic!("{method} with a valid token: {}", describe_status(&status))
            });
        }
        let seen = calls.seen();
        assert_eq!(
            calls.methods(),
            METHODS,
            "every method should have run once"
        );
        for seen in seen {
            assert_eq!(
                seen.role,
                Some(Role::ReadOnly),
                "{}: the interceptor should put the caller's Role in the request extensions",
                seen.method
            );
        }
    }
    // ANCHOR_END: with_a_token_every_method_runs_and_the_handler_sees_the_role

    // ANCHOR: the_token_is_marked_sensitive_before_a_handler_can_log_it
    #[tokio::test]
    async fn the_token_is_marked_sensitive_before_a_handler_can_log_it() {
        let calls = Calls::default();
        let channel = serve_in_memory(authenticated_routes(two_role_auth(), &calls)).await;

        call(channel, "GetUser", Some(&bearer(READ_WRITE_TOKEN)))
            .await
            .expect("GetUser with a valid token");
        let seen = calls.seen();
        let metadata = &seen.first().expect("the call reached the handler").metadata;
        assert!(
            !metadata.contains(READ_WRITE_TOKEN),
            "`{{:?}}` of the request metadata in a handler printed the token: {metadata}; \
             mark the authorization value sensitive in the interceptor"
        );
        assert!(
            metadata.contains("authorization"),
            "the header itself should stay (handlers may forward it): {metadata}"
        );
    }
    // ANCHOR_END: the_token_is_marked_sensitive_before_a_handler_can_log_it
}

mod step_6_authorization {
    use super::*;

    const GET_USER: &str = "/user.UserService/GetUser";
    const LIST_USERS: &str = "/user.UserService/ListUsers";
    const CREATE_USERS: &str = "/user.UserService/CreateUsers";
    const CHAT: &str = "/user.UserService/Chat";

    /// The reference wiring: health open, UserService behind `protect`.
    async fn protected_server(calls: &Calls) -> Channel {
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<UserServiceServer<RecordingService>>()
            .await;
        let user_service = protect(
            UserServiceServer::new(RecordingService::new(calls)),
            two_role_auth(),
        );
        serve_in_memory(Routes::new(health_service).add_service(user_service)).await
    }

    // ANCHOR: reading_needs_the_read_only_role_and_everything_else_read_write
    #[test]
    fn reading_needs_the_read_only_role_and_everything_else_read_write() {
        assert_eq!(required_role(GET_USER), Role::ReadOnly);
        assert_eq!(required_role(LIST_USERS), Role::ReadOnly);
        assert_eq!(required_role(CREATE_USERS), Role::ReadWrite);
        assert_eq!(required_role(CHAT), Role::ReadWrite);
    }
    // ANCHOR_END: reading_needs_the_read_only_role_and_everything_else_read_write

    // ANCHOR: a_method_nobody_listed_needs_read_write
    #[test]
    fn a_method_nobody_listed_needs_read_write() {
        // Fail closed: a method added to the proto tomorrow is protected until someone
        // decides it is harmless.
        for path in [
            "/user.UserService/DeleteUser",
            "/user.UserService/getuser",
            "/user.v2.UserService/GetUser",
            "/other.Service/GetUser",
        ] {
            assert_eq!(required_role(path), Role::ReadWrite, "{path}");
        }
    }
    // ANCHOR_END: a_method_nobody_listed_needs_read_write

    // ANCHOR: read_only_may_read_and_nothing_else
    #[test]
    fn read_only_may_read_and_nothing_else() {
        for path in [GET_USER, LIST_USERS] {
            authorize(Some(Role::ReadOnly), path)
                .unwrap_or_else(|status| panic!("{path}: {}", describe_status(&status)));
        }
        for path in [CREATE_USERS, CHAT, "/user.UserService/DeleteUser"] {
            let status = expect_code(
                authorize(Some(Role::ReadOnly), path),
                Code::PermissionDenied,
            );
            assert!(
                status.message().contains(path),
                "the message should name the method, got {:?}",
                status.message()
            );
        }
    }
    // ANCHOR_END: read_only_may_read_and_nothing_else

    #[test]
    fn read_write_may_call_every_method() {
        for path in [
            GET_USER,
            LIST_USERS,
            CREATE_USERS,
            CHAT,
            "/user.UserService/DeleteUser",
        ] {
            authorize(Some(Role::ReadWrite), path)
                .unwrap_or_else(|status| panic!("{path}: {}", describe_status(&status)));
        }
    }

    // ANCHOR: no_role_at_all_is_unauthenticated
    #[test]
    fn no_role_at_all_is_unauthenticated() {
        // A server wired without the interceptor refuses everything rather than nothing.
        for path in [GET_USER, CREATE_USERS] {
            expect_code(authorize(None, path), Code::Unauthenticated);
        }
    }
    // ANCHOR_END: no_role_at_all_is_unauthenticated

    // ANCHOR: a_read_only_token_may_not_create_users_and_the_handler_never_runs
    #[tokio::test]
    async fn a_read_only_token_may_not_create_users_and_the_handler_never_runs() {
        let calls = Calls::default();
        let channel = protected_server(&calls).await;

        let outcome = call(
            channel.clone(),
            "CreateUsers",
            Some(&bearer(READ_ONLY_TOKEN)),
        )
        .await;
        expect_code(outcome, Code::PermissionDenied);
        assert!(
            calls.methods().is_empty(),
            "a refused call must not reach the handler, got {:?}",
            calls.methods()
        );

        call(channel, "CreateUsers", Some(&bearer(READ_WRITE_TOKEN)))
            .await
            .expect("a read-write token may create users");
        assert_eq!(calls.methods(), ["CreateUsers"]);
    }
    // ANCHOR_END: a_read_only_token_may_not_create_users_and_the_handler_never_runs

    // ANCHOR: health_answers_without_a_token_while_user_service_demands_one
    #[tokio::test]
    async fn health_answers_without_a_token_while_user_service_demands_one() {
        let calls = Calls::default();
        let channel = protected_server(&calls).await;

        expect_code(
            call(channel.clone(), "GetUser", None).await,
            Code::Unauthenticated,
        );
        let mut health = HealthClient::new(channel);
        for service in ["", "user.UserService"] {
            let response = within(
                "a health check",
                health.check(HealthCheckRequest {
                    service: service.to_owned(),
                }),
            )
            .await
            .unwrap_or_else(|status| {
                panic!(
                    "health check of {service:?} without a token: {}",
                    describe_status(&status)
                )
            });
            assert_eq!(
                response.into_inner().status,
                1,
                "{service:?} should be SERVING (1)"
            );
        }
    }
    // ANCHOR_END: health_answers_without_a_token_while_user_service_demands_one

    #[tokio::test]
    async fn answers_snapshot() {
        let calls = Calls::default();
        let channel = protected_server(&calls).await;

        let credentials: [(&str, Option<String>); 8] = [
            ("no authorization", None),
            ("a bare token", Some(READ_WRITE_TOKEN.to_owned())),
            (
                "Basic credentials",
                Some("Basic dXNlcjpwYXNzd29yZA==".to_owned()),
            ),
            ("Bearer, no token", Some("Bearer".to_owned())),
            ("an unknown token", Some(bearer("wrong-token"))),
            ("the read-only token", Some(bearer(READ_ONLY_TOKEN))),
            ("the read-write token", Some(bearer(READ_WRITE_TOKEN))),
            (
                "lower-case bearer",
                Some(format!("bearer {READ_ONLY_TOKEN}")),
            ),
        ];
        let mut transcript = String::new();
        for (credential, authorization) in credentials {
            for (method, outcome) in call_every_method(&channel, authorization.as_deref()).await {
                transcript.push_str(&format!(
                    "{credential:<22} {method:<11} -> {}\n",
                    describe_result(&outcome)
                ));
            }
        }

        test_support::snapshot_settings().bind(|| {
            insta::assert_snapshot!("authorization_answers", transcript);
        });
    }
}

mod step_7_client_token {
    use super::*;

    // ANCHOR: adds_the_bearer_token_marked_sensitive_to_every_request
    #[test]
    fn adds_the_bearer_token_marked_sensitive_to_every_request() {
        let mut attach = AttachToken::new(READ_WRITE_TOKEN).expect("a valid token");
        for _ in 0..2 {
            let request = attach
                .call(Request::new(()))
                .expect("attaching a token cannot fail");
            let value = request
                .metadata()
                .get("authorization")
                .expect("the request should carry authorization metadata");
            assert_eq!(value, bearer(READ_WRITE_TOKEN).as_str());
            assert!(
                value.is_sensitive(),
                "mark the value sensitive: Debug then prints `Sensitive`, and HTTP/2 never \
                 indexes it in its compression table"
            );
        }
        let text = format!("{attach:?}");
        assert!(
            !text.contains(READ_WRITE_TOKEN),
            "Debug printed the token: {text}"
        );
    }
    // ANCHOR_END: adds_the_bearer_token_marked_sensitive_to_every_request

    #[test]
    fn replaces_an_authorization_value_set_by_hand() {
        let mut attach = AttachToken::new(READ_ONLY_TOKEN).expect("a valid token");
        let request = attach
            .call(with_authorization((), Some("Bearer something-else")))
            .expect("attaching a token cannot fail");
        let values: Vec<_> = request.metadata().get_all("authorization").iter().collect();
        assert_eq!(values.len(), 1, "one credential per call, got {values:?}");
        assert_eq!(values[0], bearer(READ_ONLY_TOKEN).as_str());
    }

    #[test]
    fn refuses_a_token_that_cannot_travel_as_metadata() {
        for token in ["", "two words", "line\nbreak", "tab\there", "tökén"] {
            assert_eq!(
                AttachToken::new(token).map(|_| ()),
                Err(InvalidToken),
                "{token:?} is not a valid bearer token"
            );
        }
    }

    #[tokio::test]
    async fn a_client_with_the_token_may_call_every_method() {
        let calls = Calls::default();
        let user_service = protect(
            UserServiceServer::new(RecordingService::new(&calls)),
            two_role_auth(),
        );
        let channel = serve_in_memory(Routes::new(user_service)).await;
        let attach = AttachToken::new(READ_WRITE_TOKEN).expect("a valid token");
        let mut client = UserServiceClient::with_interceptor(channel, attach);

        let user = within("GetUser", client.get_user(GetUserRequest { id: 2 }))
            .await
            .expect("GetUser with the token attached")
            .into_inner();
        assert_eq!(user, seed_user(2));
        let mut users = within("ListUsers", client.list_users(ListUsersRequest::default()))
            .await
            .expect("ListUsers with the token attached")
            .into_inner();
        while within("a user", users.message())
            .await
            .expect("streaming users")
            .is_some()
        {}
        let created = within(
            "CreateUsers",
            client.create_users(tokio_stream::iter(vec![CreateUserRequest {
                name: "Ada".to_owned(),
                email: "ada@example.com".to_owned(),
            }])),
        )
        .await
        .expect("CreateUsers with the token attached");
        assert_eq!(created.into_inner().count, 1);
        let mut replies = within(
            "Chat",
            client.chat(tokio_stream::iter(vec![ChatMessage {
                user: "Client".to_owned(),
                message: "hello".to_owned(),
            }])),
        )
        .await
        .expect("Chat with the token attached")
        .into_inner();
        while within("a reply", replies.message())
            .await
            .expect("chatting")
            .is_some()
        {}

        assert_eq!(calls.methods(), METHODS);
        assert!(
            calls
                .seen()
                .iter()
                .all(|seen| seen.role == Some(Role::ReadWrite))
        );
    }

    // ANCHOR: everything_together_over_mutual_tls
    #[tokio::test]
    async fn everything_together_over_mutual_tls() {
        let pki = TestPki::generate();
        let calls = Calls::default();
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<UserServiceServer<RecordingService>>()
            .await;
        let user_service = protect(
            UserServiceServer::new(RecordingService::reading_identity(&calls)),
            two_role_auth(),
        );
        let server = TlsServer::start(
            Routes::new(health_service).add_service(user_service),
            your_server_tls(&pki, true),
        )
        .await;
        let channel = your_channel(
            &server,
            client_tls_config(pki.ca_cert.as_bytes(), None, Some(pki.client.identity())),
        );

        let mut reader = UserServiceClient::with_interceptor(
            channel.clone(),
            AttachToken::new(READ_ONLY_TOKEN).expect("a valid token"),
        );
        let user = within("GetUser", reader.get_user(GetUserRequest { id: 3 }))
            .await
            .expect("a read-only client over mutual TLS may get a user")
            .into_inner();
        assert_eq!(user, seed_user(3));
        let status = within(
            "CreateUsers",
            reader.create_users(tokio_stream::iter(Vec::<CreateUserRequest>::new())),
        )
        .await
        .expect_err("a read-only token may not create users, even over mutual TLS");
        assert_eq!(
            status.code(),
            Code::PermissionDenied,
            "{}",
            describe_status(&status)
        );

        let seen = calls.seen();
        let seen = seen.first().expect("GetUser reached the handler");
        assert_eq!(seen.role, Some(Role::ReadOnly));
        let identity = seen
            .identity
            .as_ref()
            .expect("the handler sees the client's certificate");
        assert_eq!(identity.uris, [CLIENT_URI]);

        let health = within(
            "a health check",
            HealthClient::new(channel).check(HealthCheckRequest::default()),
        )
        .await
        .expect("health needs no token, only the TLS connection");
        assert_eq!(health.into_inner().status, 1);
    }
    // ANCHOR_END: everything_together_over_mutual_tls
}
