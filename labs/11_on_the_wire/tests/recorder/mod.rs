//! Records real gRPC traffic: an HTTP/2 proxy between tonic's generated client and the
//! reference server that writes down every frame it forwards.
//!
//! The proxy speaks HTTP/2 on both sides with the `h2` crate, so HPACK is decoded for it
//! and it sees what a frame-level trace shows: each header block as a list of fields, each
//! DATA frame's payload, the END_STREAM flags, the trailers. It forwards each frame as it
//! arrives, so both ends behave exactly as they would without it.
//!
//! [`record_reference_exchange`] makes the calls of `tests/fixtures/exchange.txt`; the
//! `record_fixture` test (ignored by default) writes them there, and
//! `the_fixture_is_what_the_reference_server_sends_today` checks the file still matches.

pub mod frames;

use std::{net::SocketAddr, time::Duration};

use bytes::Bytes;
use h2::{RecvStream, SendStream, client::SendRequest, server::SendResponse};
use http::{HeaderMap, Request, Response};
use lab11::recording::{Event, Field, RecordedCall, Recording};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{mpsc, oneshot},
};
use tonic::transport::Endpoint;
use user_service::ServerConfig;
use workbook_proto::user::{
    ChatMessage, CreateUserRequest, GetUserRequest, ListUsersRequest,
    user_service_client::UserServiceClient,
};

/// The frames of one call, request side and response side.
pub struct CallFrames {
    /// The client's stream id for the call.
    pub stream_id: u32,
    pub request: Vec<Event>,
    pub response: Vec<Event>,
}

/// A recording HTTP/2 proxy on `127.0.0.1:0` in front of one upstream gRPC server.
pub struct RecordingProxy {
    addr: SocketAddr,
    finished: mpsc::UnboundedReceiver<CallFrames>,
}

impl RecordingProxy {
    /// Starts a proxy that forwards every call to `upstream` and records it.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0 should always work on loopback");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let (record, finished) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve_connection(socket, upstream, record.clone()));
            }
        });
        Self { addr, finished }
    }

    /// The URL a tonic `Endpoint` connects to: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The frames of the next call to finish (both directions ended).
    pub async fn next_call(&mut self) -> CallFrames {
        tokio::time::timeout(Duration::from_secs(10), self.finished.recv())
            .await
            .expect("the recording proxy saw no finished call within 10 s")
            .expect("the recording proxy stopped")
    }

    /// [`Self::next_call`], with a title, as one call of a [`Recording`].
    pub async fn next_recorded_call(&mut self, title: &str) -> RecordedCall {
        let CallFrames {
            stream_id,
            request,
            response,
        } = self.next_call().await;
        RecordedCall {
            stream_id,
            title: title.to_owned(),
            request,
            response,
        }
    }
}

/// One client connection: accept its streams and forward each over one upstream
/// connection, as a gRPC-aware proxy would.
async fn serve_connection(
    socket: TcpStream,
    upstream: SocketAddr,
    record: mpsc::UnboundedSender<CallFrames>,
) {
    let Ok(mut downstream) = h2::server::handshake(socket).await else {
        return;
    };
    let upstream = TcpStream::connect(upstream)
        .await
        .expect("the proxy should reach the upstream server");
    let (upstream, connection) = h2::client::handshake(upstream)
        .await
        .expect("the HTTP/2 handshake with the upstream server should succeed");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    // `accept` also drives the downstream connection's I/O, so keep calling it.
    while let Some(Ok((request, respond))) = downstream.accept().await {
        let upstream = upstream.clone();
        let record = record.clone();
        tokio::spawn(async move {
            match forward_call(upstream, request, respond).await {
                Ok(frames) => {
                    let _ = record.send(frames);
                }
                Err(error) => panic!("the recording proxy could not forward a call: {error}"),
            }
        });
    }
}

/// Forwards one call, frame by frame in both directions at once, and returns what it saw.
async fn forward_call(
    upstream: SendRequest<Bytes>,
    request: Request<RecvStream>,
    respond: SendResponse<Bytes>,
) -> Result<CallFrames, h2::Error> {
    let (parts, request_body) = request.into_parts();
    let stream_id = u32::from(request_body.stream_id());
    let request_ends_here = request_body.is_end_stream();
    let mut request_events = vec![Event::Headers {
        fields: request_fields(&parts),
        end_stream: request_ends_here,
    }];

    let mut upstream = upstream.ready().await?;
    let (response, upstream_body) =
        upstream.send_request(Request::from_parts(parts, ()), request_ends_here)?;

    // Both directions at once: a bidirectional call's server may answer before the
    // client has finished sending.
    let (request_result, response_result) = tokio::join!(
        forward_body(request_body, upstream_body, &mut request_events),
        async {
            let response = response.await?;
            let (parts, response_body) = response.into_parts();
            let response_ends_here = response_body.is_end_stream();
            let mut events = vec![Event::Headers {
                fields: response_fields(&parts.status, &parts.headers),
                end_stream: response_ends_here,
            }];
            let downstream_body = {
                let mut respond = respond;
                respond.send_response(Response::from_parts(parts, ()), response_ends_here)?
            };
            if !response_ends_here {
                forward_body(response_body, downstream_body, &mut events).await?;
            }
            Ok::<_, h2::Error>(events)
        }
    );
    if !request_ends_here {
        request_result?;
    }
    Ok(CallFrames {
        stream_id,
        request: request_events,
        response: response_result?,
    })
}

/// Forwards DATA frames and trailers from `from` to `to`, recording each.
async fn forward_body(
    mut from: RecvStream,
    mut to: SendStream<Bytes>,
    events: &mut Vec<Event>,
) -> Result<(), h2::Error> {
    if from.is_end_stream() {
        return Ok(());
    }
    while let Some(chunk) = from.data().await {
        let chunk = chunk?;
        let _ = from.flow_control().release_capacity(chunk.len());
        let end_stream = from.is_end_stream();
        events.push(Event::Data {
            bytes: chunk.to_vec(),
            end_stream,
        });
        to.send_data(chunk, end_stream)?;
        if end_stream {
            return Ok(());
        }
    }
    if let Some(trailers) = from.trailers().await? {
        events.push(Event::Trailers {
            fields: header_fields(&trailers),
        });
        to.send_trailers(trailers)?;
    }
    Ok(())
}

/// The request's pseudo-headers in the order h2 writes them, then its header fields. The
/// port in `:authority` changes from run to run, so it becomes `<port>`.
fn request_fields(parts: &http::request::Parts) -> Vec<Field> {
    let mut fields = vec![Field::new(":method", parts.method.as_str())];
    if let Some(scheme) = parts.uri.scheme_str() {
        fields.push(Field::new(":scheme", scheme));
    }
    if let Some(authority) = parts.uri.authority() {
        fields.push(Field::new(
            ":authority",
            format!("{}:<port>", authority.host()),
        ));
    }
    if let Some(path) = parts.uri.path_and_query() {
        fields.push(Field::new(":path", path.as_str()));
    }
    fields.extend(header_fields(&parts.headers));
    fields
}

/// `:status`, then the response's header fields. `date` (which hyper adds to every
/// response) changes from run to run, so it is left out.
fn response_fields(status: &http::StatusCode, headers: &HeaderMap) -> Vec<Field> {
    let mut fields = vec![Field::new(":status", status.as_str())];
    fields.extend(
        header_fields(headers)
            .into_iter()
            .filter(|field| field.name != "date"),
    );
    fields
}

fn header_fields(headers: &HeaderMap) -> Vec<Field> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or_else(|_| {
                panic!("the recording keeps header values as text, but {name} is not ASCII")
            });
            Field::new(name.as_str(), value)
        })
        .collect()
}

/// Starts the reference server (users 1..=10) on `127.0.0.1:0` and returns its address and
/// a sender that stops it.
pub async fn start_reference_server() -> (SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding 127.0.0.1:0 should always work on loopback");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(user_service::serve(
        listener,
        ServerConfig {
            seed_users: 10,
            ..ServerConfig::default()
        },
        async {
            let _ = stopped.await;
        },
    ));
    (addr, stop)
}

// ANCHOR: recorded_calls
/// Makes the fixture's calls with tonic's generated client, through a [`RecordingProxy`]
/// in front of the reference server, and returns what went over the wire.
pub async fn record_reference_exchange() -> Recording {
    let (server, _stop) = start_reference_server().await;
    let mut proxy = RecordingProxy::start(server).await;
    let channel = Endpoint::from_shared(proxy.url())
        .expect("http://127.0.0.1:<port> is a valid URI")
        .connect_lazy();
    let mut client = UserServiceClient::new(channel);
    let mut calls = Vec::new();

    let mut request = tonic::Request::new(GetUserRequest { id: 1 });
    request.set_timeout(Duration::from_secs(5));
    client.get_user(request).await.expect("user 1 exists");
    calls.push(
        proxy
            .next_recorded_call("GetUser(id: 1) with a 5 s deadline: found")
            .await,
    );

    let missing = client.get_user(GetUserRequest { id: 42 }).await;
    assert_eq!(
        missing.map(|_| ()).unwrap_err().code(),
        tonic::Code::NotFound
    );
    calls.push(proxy.next_recorded_call("GetUser(id: 42): NOT_FOUND").await);

    let mut page = client
        .list_users(ListUsersRequest {
            page: 2,
            page_size: 3,
        })
        .await
        .expect("ListUsers starts")
        .into_inner();
    while page.message().await.expect("the page streams").is_some() {}
    calls.push(
        proxy
            .next_recorded_call("ListUsers(page: 2, page_size: 3): three users, then the status")
            .await,
    );

    let batch = vec![
        CreateUserRequest {
            name: "Ada".into(),
            email: "ada@example.com".into(),
        },
        CreateUserRequest {
            name: "Bob".into(),
            email: "bob at example.com".into(),
        },
    ];
    let invalid = client.create_users(tokio_stream::iter(batch)).await;
    assert_eq!(
        invalid.map(|_| ()).unwrap_err().code(),
        tonic::Code::InvalidArgument
    );
    calls.push(
        proxy
            .next_recorded_call("CreateUsers with an invalid email: INVALID_ARGUMENT with details")
            .await,
    );

    let said = vec![
        ChatMessage {
            user: "Client".into(),
            message: "Hello".into(),
        },
        ChatMessage {
            user: "Client".into(),
            message: "Goodbye".into(),
        },
    ];
    let mut replies = client
        .chat(tokio_stream::iter(said))
        .await
        .expect("Chat starts")
        .into_inner();
    while replies.message().await.expect("the echo streams").is_some() {}
    calls.push(
        proxy
            .next_recorded_call("Chat: two messages each way")
            .await,
    );

    Recording { calls }
}
// ANCHOR_END: recorded_calls
