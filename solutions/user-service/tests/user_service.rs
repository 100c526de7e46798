//! The reference binaries, tested as a user runs them: the real `user-service` process,
//! started with its command-line flags, spoken to over loopback.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::Duration,
};

use test_support::{expect_code, raw_unary_call};
use tonic::{
    Code,
    transport::{Channel, Endpoint},
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};
use workbook_proto::user::{
    GetUserRequest, ListUsersRequest, User, user_service_client::UserServiceClient,
};

/// A `user-service` process, killed when dropped.
struct RunningServer {
    child: Child,
    addr: SocketAddr,
    stdout: BufReader<std::process::ChildStdout>,
}

impl RunningServer {
    /// Starts `user-service --addr 127.0.0.1:0 <args>` and reads the bound address from its
    /// start-up line.
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_user-service"))
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("user-service should start");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("user-service should print its start-up line");
        let addr = line
            .trim()
            .strip_prefix("user-service listening on ")
            .unwrap_or_else(|| panic!("unexpected start-up line {line:?}"))
            .parse()
            .expect("the start-up line ends with the bound address");
        Self {
            child,
            addr,
            stdout,
        }
    }

    fn channel(&self) -> Channel {
        Endpoint::from_shared(format!("http://{}", self.addr))
            .expect("valid URI")
            .connect_lazy()
    }

    fn user_client(&self) -> UserServiceClient<Channel> {
        UserServiceClient::new(self.channel())
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn get_user_answers_seeded_users_and_refuses_bad_ids() {
    let server = RunningServer::start(&["--seed-users", "10"]);
    let mut client = server.user_client();

    let user = client
        .get_user(GetUserRequest { id: 10 })
        .await
        .expect("user 10 is seeded")
        .into_inner();
    assert_eq!(
        user,
        User {
            id: 10,
            name: "User 10".into(),
            email: "user10@example.com".into()
        }
    );
    expect_code(
        client.get_user(GetUserRequest { id: 11 }).await,
        Code::NotFound,
    );
    expect_code(
        client.get_user(GetUserRequest { id: 0 }).await,
        Code::InvalidArgument,
    );
}

#[tokio::test]
async fn bytes_that_are_not_protobuf_get_a_status_and_the_server_keeps_serving() {
    let server = RunningServer::start(&["--seed-users", "1"]);
    let path = "/user.UserService/GetUser";

    // Plain text, a varint cut short, field 1 with the wrong wire type, field number 0.
    let bad_messages: [&[u8]; 4] = [b"hello, world", &[0x08, 0xff], &[0x0a, 0x01, 0x31], &[0x00]];
    for body in bad_messages {
        let status = expect_code(
            raw_unary_call(server.channel(), path, body.to_vec()).await,
            Code::Internal,
        );
        assert!(
            status.message().contains("decod"),
            "the status should say decoding failed, got {:?}",
            status.message()
        );
    }

    let user = server
        .user_client()
        .get_user(GetUserRequest { id: 1 })
        .await
        .expect("the server still serves after bad input")
        .into_inner();
    assert_eq!(user.id, 1);
}

#[tokio::test]
async fn a_request_over_4_mib_is_resource_exhausted_and_the_server_keeps_serving() {
    let server = RunningServer::start(&["--seed-users", "1"]);
    let status = expect_code(
        raw_unary_call(
            server.channel(),
            "/user.UserService/GetUser",
            test_support::oversized_get_user_request(),
        )
        .await,
        Code::ResourceExhausted,
    );
    assert!(
        status.message().contains("too large"),
        "{:?}",
        status.message()
    );

    let user = server
        .user_client()
        .get_user(GetUserRequest { id: 1 })
        .await
        .expect("the server still serves after an oversized request")
        .into_inner();
    assert_eq!(user.id, 1);
}

#[tokio::test]
async fn list_users_streams_a_page_and_refuses_negative_sizes() {
    let server = RunningServer::start(&["--seed-users", "100"]);
    let mut client = server.user_client();

    let mut page = client
        .list_users(ListUsersRequest {
            page: 2,
            page_size: 10,
        })
        .await
        .expect("page 2 streams")
        .into_inner();
    let mut ids = Vec::new();
    while let Some(user) = page.message().await.expect("the stream ends with OK") {
        ids.push(user.id);
    }
    assert_eq!(ids, (11..=20).collect::<Vec<_>>());

    expect_code(
        client
            .list_users(ListUsersRequest {
                page: 1,
                page_size: -1,
            })
            .await,
        Code::InvalidArgument,
    );
}

#[tokio::test]
async fn health_reports_serving_for_the_server_and_for_user_service() {
    let server = RunningServer::start(&[]);
    let mut health = HealthClient::new(server.channel());

    for service in ["", "user.UserService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap_or_else(|status| panic!("Check({service:?}) failed: {status}"))
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "service {service:?}");
    }
    expect_code(
        health
            .check(HealthCheckRequest {
                service: "no.Such".into(),
            })
            .await,
        Code::NotFound,
    );
}

#[tokio::test]
async fn reflection_lists_user_service_and_health() {
    let server = RunningServer::start(&[]);
    let mut reflection = ServerReflectionClient::new(server.channel());

    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::once(request))
        .await
        .expect("reflection is served")
        .into_inner();
    let response = responses
        .message()
        .await
        .expect("a reflection response")
        .expect("one response per request");

    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!(
            "expected a service list, got {:?}",
            response.message_response
        );
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert!(
        names.contains(&"user.UserService".to_string()),
        "reflection lists {names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_string()),
        "reflection lists {names:?}"
    );
}

#[tokio::test]
async fn sigterm_finishes_gracefully_with_exit_status_zero() {
    let mut server = RunningServer::start(&[]);
    // A served call first, so the shutdown has a live connection to close.
    server
        .user_client()
        .get_user(GetUserRequest { id: 1 })
        .await
        .expect_err("no users were seeded");

    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());

    let status = wait_with_limit(&mut server.child, Duration::from_secs(10)).await;
    assert!(status.success(), "user-service exited with {status}");
    let rest: Vec<String> = (&mut server.stdout).lines().map_while(Result::ok).collect();
    assert_eq!(
        rest,
        [
            "user-service shutting down: finishing calls in flight",
            "user-service stopped"
        ]
    );
}

#[tokio::test]
async fn shutdown_is_bounded_when_a_client_never_answers() {
    let mut server = RunningServer::start(&["--shutdown-grace-secs", "1"]);
    // An HTTP/2 client that sends its connection preface and an empty SETTINGS frame, then
    // goes silent: it will never acknowledge the server's GOAWAY and PING.
    let mut silent = std::net::TcpStream::connect(server.addr).expect("connects");
    std::io::Write::write_all(
        &mut silent,
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
    )
    .expect("preface sent");
    // A real call proves the server is up and has accepted connections before the signal.
    server
        .user_client()
        .get_user(GetUserRequest { id: 1 })
        .await
        .expect_err("no users were seeded");

    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());

    let status = wait_with_limit(&mut server.child, Duration::from_secs(10)).await;
    assert!(status.success(), "user-service exited with {status}");
    drop(silent);
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let server = RunningServer::start(&[]);
    let output = Command::new(env!("CARGO_BIN_EXE_user-service"))
        .args(["--addr", &server.addr.to_string()])
        .output()
        .expect("user-service runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot listen on") && stderr.contains("--addr 127.0.0.1:0"),
        "stderr: {stderr}"
    );
}

#[test]
fn user_client_get_prints_the_user_or_the_status() {
    let server = RunningServer::start(&["--seed-users", "2"]);
    let url = format!("http://{}", server.addr);
    let client = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_user-client"))
            .args(["--addr", &url])
            .args(args)
            .output()
            .expect("user-client runs")
    };

    let found = client(&["get", "2"]);
    assert!(found.status.success());
    assert_eq!(
        String::from_utf8_lossy(&found.stdout),
        "User: User 2\n  id:    2\n  email: user2@example.com\n"
    );

    let missing = client(&["get", "3"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "user-client: NotFound: no user with id 3\n"
    );

    let invalid = client(&["get", "-1"]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("InvalidArgument"));
}

#[test]
fn user_client_list_prints_one_line_per_user() {
    let server = RunningServer::start(&["--seed-users", "5"]);
    let url = format!("http://{}", server.addr);
    let output = Command::new(env!("CARGO_BIN_EXE_user-client"))
        .args(["--addr", &url, "list", "--page", "2", "--page-size", "2"])
        .output()
        .expect("user-client runs");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "3\tUser 3\tuser3@example.com\n4\tUser 4\tuser4@example.com\n"
    );

    let refused = Command::new(env!("CARGO_BIN_EXE_user-client"))
        .args(["--addr", &url, "list", "--page-size", "-3"])
        .output()
        .expect("user-client runs");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .starts_with("user-client: InvalidArgument: page_size")
    );
}

/// Waits for `child` to exit, killing it (and failing) if it takes longer than `limit`.
///
/// It polls rather than blocks: the test's runtime must keep running meanwhile, because the
/// client side of the connection has to answer the server's GOAWAY for shutdown to finish.
async fn wait_with_limit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait works") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("user-service did not stop within {limit:?} of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
