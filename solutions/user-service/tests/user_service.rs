//! The reference binaries, tested as a user runs them: the real `user-service` process,
//! started with its command-line flags, spoken to over loopback.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::Duration,
};

use test_support::{expect_code, raw_client_streaming_call, raw_unary_call};
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
use tonic_types::StatusExt;
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, GetUserRequest, ListUsersRequest, User,
    user_service_client::UserServiceClient,
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

/// Every user id the server holds, read page by page with ListUsers.
async fn all_ids(server: &RunningServer) -> Vec<i32> {
    let mut client = server.user_client();
    let mut ids = Vec::new();
    for page in 1.. {
        let mut stream = client
            .list_users(ListUsersRequest {
                page,
                page_size: 1000,
            })
            .await
            .expect("ListUsers works")
            .into_inner();
        let before = ids.len();
        while let Some(user) = stream.message().await.expect("the page streams") {
            ids.push(user.id);
        }
        if ids.len() - before < 1000 {
            break;
        }
    }
    ids
}

fn create_request(name: &str, email: &str) -> CreateUserRequest {
    CreateUserRequest {
        name: name.into(),
        email: email.into(),
    }
}

#[tokio::test]
async fn create_users_stores_a_valid_batch_and_nothing_of_an_invalid_one() {
    let server = RunningServer::start(&["--seed-users", "100"]);
    let mut client = server.user_client();

    let created = client
        .create_users(tokio_stream::iter([
            create_request("John", "john@example.com"),
            create_request("Jane", "jane@example.com"),
        ]))
        .await
        .expect("a valid batch is stored")
        .into_inner();
    assert_eq!(created.count, 2);
    let ids: Vec<i32> = created.users.iter().map(|user| user.id).collect();
    assert_eq!(ids, [101, 102]);

    let status = expect_code(
        client
            .create_users(tokio_stream::iter([
                create_request("Ok", "ok@example.com"),
                create_request("", "not-an-email"),
            ]))
            .await,
        Code::InvalidArgument,
    );
    let details = status.get_error_details();
    let fields: Vec<&str> = details
        .bad_request()
        .expect("BadRequest details")
        .field_violations
        .iter()
        .map(|violation| violation.field.as_str())
        .collect();
    assert_eq!(fields, ["requests[1].name", "requests[1].email"]);
    assert_eq!(
        all_ids(&server).await.len(),
        102,
        "nothing of the bad batch"
    );
}

#[tokio::test]
async fn bad_bytes_inside_a_create_users_stream_store_nothing_and_the_server_keeps_serving() {
    let server = RunningServer::start(&["--seed-users", "3"]);
    let path = "/user.UserService/CreateUsers";
    // CreateUserRequest { name: "Ann", email: "ann@example.com" }, encoded by hand.
    let mut good = vec![0x0a, 0x03];
    good.extend(b"Ann");
    good.extend([0x12, 0x0f]);
    good.extend(b"ann@example.com");
    // `name` holding the byte 0xff: not UTF-8, so not a valid protobuf `string`.
    let not_utf8 = vec![0x0a, 0x01, 0xff];

    let status = expect_code(
        raw_client_streaming_call(server.channel(), path, vec![good.clone(), not_utf8]).await,
        Code::Internal,
    );
    assert!(status.message().contains("UTF-8"), "{:?}", status.message());

    // A message over 4 MiB in the middle of the stream: the specification's code.
    let mut oversized = test_support::oversized_get_user_request();
    oversized[0] = 0x0a; // any field; the length alone decides
    oversized[1] = 0x00;
    expect_code(
        raw_client_streaming_call(server.channel(), path, vec![good.clone(), oversized]).await,
        Code::ResourceExhausted,
    );

    assert_eq!(
        all_ids(&server).await,
        [1, 2, 3],
        "no partial batch was stored"
    );
    let created = raw_client_streaming_call(server.channel(), path, vec![good])
        .await
        .expect("the server still accepts a good batch");
    assert!(!created.is_empty());
}

#[tokio::test]
async fn a_client_that_cancels_an_upload_midway_stores_nothing() {
    let server = RunningServer::start(&["--seed-users", "3"]);
    let mut client = server.user_client();
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    sender
        .send(create_request("Half", "half@example.com"))
        .await
        .expect("the channel is open");

    // Start the upload, let the first request reach the server, then abandon the call while
    // the request stream is still open (the sender is alive): the client resets the stream.
    let call = tokio::spawn(async move {
        client
            .create_users(tokio_stream::wrappers::ReceiverStream::new(receiver))
            .await
    });
    while sender.capacity() < sender.max_capacity() {
        tokio::task::yield_now().await;
    }
    call.abort();
    let _ = call.await;
    drop(sender);

    // The server must be serving, and must not have stored the half batch. A later batch
    // gets the next id, which also proves none was taken by the cancelled one.
    let created = server
        .user_client()
        .create_users(tokio_stream::iter([create_request(
            "Next",
            "next@example.com",
        )]))
        .await
        .expect("the server still serves")
        .into_inner();
    assert_eq!(created.users[0].id, 4);
    assert_eq!(all_ids(&server).await, [1, 2, 3, 4]);
}

#[tokio::test]
async fn chat_echoes_in_order_and_reports_bad_bytes_with_a_status() {
    let server = RunningServer::start(&[]);
    let mut client = server.user_client();
    let messages = ["Hello", "How are you?", "Goodbye"].map(|text| ChatMessage {
        user: "Client".into(),
        message: text.into(),
    });
    let mut replies = client
        .chat(tokio_stream::iter(messages))
        .await
        .expect("the chat starts")
        .into_inner();
    let mut texts = Vec::new();
    while let Some(reply) = replies.message().await.expect("the chat ends with OK") {
        assert_eq!(reply.user, "Server");
        texts.push(reply.message);
    }
    assert_eq!(
        texts,
        ["Echo: Hello", "Echo: How are you?", "Echo: Goodbye"]
    );

    // `message` holding the byte 0xff: not UTF-8, so the call ends with an error status.
    let status = expect_code(
        raw_client_streaming_call(
            server.channel(),
            "/user.UserService/Chat",
            vec![vec![0x12, 0x01, 0xff]],
        )
        .await,
        Code::Internal,
    );
    assert!(status.message().contains("UTF-8"), "{:?}", status.message());
}

#[tokio::test]
async fn a_raw_grpc_timeout_that_has_expired_is_deadline_exceeded_and_the_handler_never_runs() {
    let server = RunningServer::start(&["--seed-users", "1"]);
    let mut raw = lab07::testing::RawGrpcClient::connect(server.addr)
        .await
        .expect("connects");
    // GetUserRequest { id: 1 } with no time left: tonic alone would still run the handler.
    let response = raw
        .unary("/user.UserService/GetUser", Some("0n"), &[0x08, 0x01])
        .await
        .expect("an HTTP/2 answer");
    let status = response.status().expect("a gRPC status");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");

    let fine = raw
        .unary("/user.UserService/GetUser", Some("5S"), &[0x08, 0x01])
        .await
        .expect("an HTTP/2 answer");
    assert_eq!(fine.status().map(|s| s.code()), Some(Code::Ok));
}

#[tokio::test]
async fn a_deadline_that_expires_while_the_handler_runs_is_deadline_exceeded_and_stores_nothing() {
    let server = RunningServer::start(&["--seed-users", "2"]);
    // Raw HTTP/2, because tonic's client would start its own timer from the header and
    // report CANCELLED locally before the server's answer arrived.
    let tcp = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connects");
    let (client, connection) = h2::client::handshake(tcp).await.expect("HTTP/2");
    tokio::spawn(connection);
    let mut client = client.ready().await.expect("ready for a call");
    let request = http::Request::post(format!(
        "http://{}/user.UserService/CreateUsers",
        server.addr
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers")
    .header("grpc-timeout", "200m")
    .body(())
    .expect("a valid request");
    let (response, mut upload) = client
        .send_request(request, false)
        .expect("the call starts");
    // One CreateUserRequest { name: "Slow", email: "s@x.io" }, and then nothing more: the
    // stream stays open, so the handler waits for the rest of the batch.
    let mut message = vec![0x0a, 0x04];
    message.extend(b"Slow");
    message.extend([0x12, 0x06]);
    message.extend(b"s@x.io");
    let mut framed = vec![0, 0, 0, 0, message.len() as u8];
    framed.extend(message);
    upload
        .send_data(bytes::Bytes::from(framed), false)
        .expect("the message is sent");

    let response = tokio::time::timeout(Duration::from_secs(5), response)
        .await
        .expect("the server answers once the 200 ms deadline has passed")
        .expect("an HTTP/2 response");
    let status = tonic::Status::from_header_map(response.headers())
        .expect("a Trailers-Only answer carries grpc-status in its headers");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    drop(upload);

    assert_eq!(
        all_ids(&server).await,
        [1, 2],
        "the abandoned upload stored nothing"
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
async fn sigterm_right_after_the_start_up_line_is_still_graceful() {
    // No call first: the signal handlers must already be in place when the line is printed.
    let mut server = RunningServer::start(&[]);
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = wait_with_limit(&mut server.child, Duration::from_secs(10)).await;
    assert!(status.success(), "user-service exited with {status}");
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
fn user_client_create_takes_users_from_arguments_or_stdin() {
    let server = RunningServer::start(&["--seed-users", "2"]);
    let url = format!("http://{}", server.addr);

    let from_args = Command::new(env!("CARGO_BIN_EXE_user-client"))
        .args(["--addr", &url, "create", "John,john@example.com"])
        .output()
        .expect("user-client runs");
    assert!(from_args.status.success(), "{from_args:?}");
    assert_eq!(
        String::from_utf8_lossy(&from_args.stdout),
        "3\tJohn\tjohn@example.com\ncreated 1 users\n"
    );

    let output = run_user_client_with_stdin(
        &["--addr", &url, "create"],
        b"Ada Lovelace, ada@example.com\n\nGrace Hopper,grace@example.com\n",
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "4\tAda Lovelace\tada@example.com\n5\tGrace Hopper\tgrace@example.com\ncreated 2 users\n"
    );

    let invalid = Command::new(env!("CARGO_BIN_EXE_user-client"))
        .args([
            "--addr",
            &url,
            "create",
            "Bob,bob@example.com",
            "no email here",
        ])
        .output()
        .expect("user-client runs");
    assert_eq!(invalid.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert!(
        stderr.starts_with("user-client: InvalidArgument: ")
            && stderr.contains("  requests[1].email: "),
        "{stderr}"
    );
}

#[test]
fn user_client_chat_sends_stdin_lines_and_prints_the_replies() {
    let server = RunningServer::start(&[]);
    let output = run_user_client_with_stdin(
        &["--addr", &format!("http://{}", server.addr), "chat"],
        b"Hello\nHow are you?\nGoodbye\n",
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "Server: Echo: Hello\nServer: Echo: How are you?\nServer: Echo: Goodbye\n"
    );
}

#[test]
fn user_client_retries_only_within_its_deadline() {
    // Nothing listens on this port (it was free a moment ago): every attempt is refused.
    let free_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("bound")
        .port();
    let started = std::time::Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_user-client"))
        .args(["--addr", &format!("http://127.0.0.1:{free_port}")])
        .args(["--timeout", "1", "--retries", "2", "get", "1"])
        .output()
        .expect("user-client runs");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the retries must end: {:?}",
        started.elapsed()
    );
}

#[test]
fn user_client_gzip_compresses_both_ways() {
    let server = RunningServer::start(&["--seed-users", "3"]);
    let url = format!("http://{}", server.addr);
    let output = run_user_client(&["--addr", &url, "--gzip", "list"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 3);
    let created = run_user_client(&["--addr", &url, "--gzip", "create", "Zed,zed@example.com"]);
    assert!(created.status.success(), "{created:?}");
}

#[tokio::test]
async fn the_server_answers_gzip_only_to_a_client_that_accepts_it() {
    let server = RunningServer::start(&["--seed-users", "1"]);
    let mut raw = lab07::testing::RawGrpcClient::connect(server.addr)
        .await
        .expect("connects");
    // This raw client sends no grpc-accept-encoding: the answer must not be compressed.
    let response = raw
        .unary("/user.UserService/GetUser", None, &[0x08, 0x01])
        .await
        .expect("an HTTP/2 answer");
    assert!(
        !response.headers.contains_key("grpc-encoding"),
        "{:?}",
        response.headers
    );
}

#[test]
fn user_client_balances_over_targets_and_skips_or_fails_over_from_a_dead_one() {
    let a = RunningServer::start(&["--seed-users", "1"]);
    let b = RunningServer::start(&["--seed-users", "1"]);
    // A port nothing listens on: a dead backend.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("bound");
    let targets = format!("{dead},{},{}", a.addr, b.addr);

    for policy in ["round_robin", "pick_first"] {
        for _ in 0..3 {
            // The balancer learns that a backend is dead from one failed call; within one
            // command, a retry is what moves on to the next backend.
            let output = run_user_client(&[
                "--target",
                &targets,
                "--lb",
                policy,
                "--retries",
                "1",
                "get",
                "1",
            ]);
            assert!(
                output.status.success(),
                "--lb {policy} with one retry must get past the dead first target: {output:?}"
            );
        }
    }
    let without_retry = run_user_client(&["--target", &targets, "--lb", "pick_first", "get", "1"]);
    assert!(
        String::from_utf8_lossy(&without_retry.stderr).contains("Unavailable"),
        "without a retry the dead first target costs the call: {without_retry:?}"
    );
    let unknown = run_user_client(&["--target", &targets, "--lb", "random", "get", "1"]);
    assert_eq!(unknown.status.code(), Some(2));
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

/// A fresh test PKI (CA, server and client certificates, a foreign CA) in its own directory.
fn test_pki(name: &str) -> lab08::PkiFiles {
    let dir = std::env::temp_dir().join(format!("user-service-{name}-{}", std::process::id()));
    lab08::TestPki::generate()
        .write_to(&dir)
        .expect("the test PKI can be written to a temporary directory")
}

/// Runs `user-client ARGS` to completion.
fn run_user_client(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_user-client"))
        .args(args)
        .output()
        .expect("user-client runs")
}

fn path(path: &std::path::Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

#[test]
fn tls_flags_serve_tls_only_and_client_ca_requires_a_client_certificate() {
    let pki = test_pki("tls");
    let server = RunningServer::start(&[
        "--seed-users",
        "1",
        "--tls-cert",
        path(&pki.server_cert),
        "--tls-key",
        path(&pki.server_key),
        "--client-ca",
        path(&pki.ca_cert),
    ]);
    let https = format!("https://localhost:{}", server.addr.port());
    let http = format!("http://{}", server.addr);

    let with_cert = run_user_client(&[
        "--addr",
        &https,
        "--ca",
        path(&pki.ca_cert),
        "--cert",
        path(&pki.client_cert),
        "--key",
        path(&pki.client_key),
        "get",
        "1",
    ]);
    assert!(with_cert.status.success(), "{with_cert:?}");
    assert!(String::from_utf8_lossy(&with_cert.stdout).starts_with("User: User 1\n"));

    let without_cert = run_user_client(&["--addr", &https, "--ca", path(&pki.ca_cert), "get", "1"]);
    assert!(
        !without_cert.status.success(),
        "mutual TLS must refuse a client without a certificate"
    );
    let foreign_cert = run_user_client(&[
        "--addr",
        &https,
        "--ca",
        path(&pki.ca_cert),
        "--cert",
        path(&pki.foreign_client_cert),
        "--key",
        path(&pki.foreign_client_key),
        "get",
        "1",
    ]);
    assert!(
        !foreign_cert.status.success(),
        "a certificate from a foreign CA must be refused"
    );
    let plaintext = run_user_client(&["--addr", &http, "--timeout", "2", "get", "1"]);
    assert!(
        !plaintext.status.success(),
        "a plaintext client must be refused"
    );
    let wrong_ca = run_user_client(&[
        "--addr",
        &https,
        "--ca",
        path(&pki.foreign_ca_cert),
        "--cert",
        path(&pki.client_cert),
        "--key",
        path(&pki.client_key),
        "get",
        "1",
    ]);
    assert!(
        !wrong_ca.status.success(),
        "a client trusting another CA must refuse the server"
    );
    assert!(
        String::from_utf8_lossy(&wrong_ca.stderr).contains("UnknownIssuer"),
        "{wrong_ca:?}"
    );
}

#[tokio::test]
async fn auth_tokens_protect_user_service_but_not_health() {
    let server = RunningServer::start(&[
        "--seed-users",
        "1",
        "--auth-token",
        "s3cret",
        "--read-only-token",
        "reader",
    ]);
    let url = format!("http://{}", server.addr);

    let anonymous = run_user_client(&["--addr", &url, "get", "1"]);
    assert_eq!(anonymous.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&anonymous.stderr).starts_with("user-client: Unauthenticated: "),
        "{anonymous:?}"
    );
    let wrong = run_user_client(&["--addr", &url, "--token", "guess", "list"]);
    assert!(String::from_utf8_lossy(&wrong.stderr).starts_with("user-client: Unauthenticated: "));

    let writer = run_user_client(&[
        "--addr",
        &url,
        "--token",
        "s3cret",
        "create",
        "Ann,ann@example.com",
    ]);
    assert!(writer.status.success(), "{writer:?}");
    let reader_reads = run_user_client(&["--addr", &url, "--token", "reader", "get", "2"]);
    assert!(reader_reads.status.success(), "{reader_reads:?}");
    let reader_writes = run_user_client(&[
        "--addr",
        &url,
        "--token",
        "reader",
        "create",
        "Bo,bo@example.com",
    ]);
    assert!(
        String::from_utf8_lossy(&reader_writes.stderr)
            .starts_with("user-client: PermissionDenied: "),
        "{reader_writes:?}"
    );

    // Health needs no token: load balancers and probes hold no secrets.
    let status = HealthClient::new(server.channel())
        .check(HealthCheckRequest {
            service: "user.UserService".into(),
        })
        .await
        .expect("health answers without a token")
        .into_inner()
        .status();
    assert_eq!(status, ServingStatus::Serving);
}

#[test]
fn a_missing_or_non_pem_certificate_file_is_a_clear_error() {
    let pki = test_pki("bad-pem");
    let missing = Command::new(env!("CARGO_BIN_EXE_user-service"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--tls-cert",
            "/no/such/cert.pem",
            "--tls-key",
        ])
        .arg(&pki.server_key)
        .output()
        .expect("user-service runs");
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("/no/such/cert.pem"),
        "the error names the file: {stderr}"
    );

    let not_pem = pki.ca_cert.with_file_name("not-pem.txt");
    std::fs::write(&not_pem, "hello").expect("writable");
    let garbage = Command::new(env!("CARGO_BIN_EXE_user-service"))
        .args(["--addr", "127.0.0.1:0", "--tls-cert"])
        .arg(&not_pem)
        .arg("--tls-key")
        .arg(&pki.server_key)
        .output()
        .expect("user-service runs");
    assert!(!garbage.status.success());
    let stderr = String::from_utf8_lossy(&garbage.stderr);
    assert!(
        stderr.contains("not-pem.txt") && stderr.to_lowercase().contains("pem"),
        "the error names the file and says it is not PEM: {stderr}"
    );
}

/// Runs `user-client ARGS` with `input` on its standard input (then closed), to completion.
fn run_user_client_with_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut client = Command::new(env!("CARGO_BIN_EXE_user-client"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("user-client runs");
    std::io::Write::write_all(&mut client.stdin.take().expect("stdin is piped"), input)
        .expect("stdin accepts the input");
    client.wait_with_output().expect("user-client finishes")
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
