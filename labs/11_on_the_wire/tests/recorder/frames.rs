//! A byte-level view of one HTTP/2 connection: a TCP proxy that forwards every byte and
//! reads the 9-byte header of every frame going past.
//!
//! The gRPC-level recorder (`super::RecordingProxy`) sees header fields after HPACK and
//! DATA payloads, but not the frames that belong to the connection itself (SETTINGS,
//! WINDOW_UPDATE, PING, GOAWAY), nor how many bytes a compressed header block takes. This
//! one sees exactly that, and nothing it would need HPACK for.

use std::{fmt, net::SocketAddr};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{
        TcpListener, TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
    task::JoinHandle,
};

/// What a client sends before its first frame (RFC 9113, section 3.4).
pub const CLIENT_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;

/// The END_STREAM flag (DATA, HEADERS); ACK has the same bit (SETTINGS, PING).
pub const END_STREAM: u8 = 0x1;
/// The END_HEADERS flag (HEADERS, CONTINUATION).
pub const END_HEADERS: u8 = 0x4;

/// One frame: its 9-byte header, decoded, and its payload.
#[derive(Debug, Clone)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream_id: u32,
    pub payload: Vec<u8>,
}

impl Frame {
    /// The payload as big-endian u32s from `offset` (WINDOW_UPDATE, RST_STREAM, GOAWAY).
    pub fn u32_at(&self, offset: usize) -> u32 {
        let bytes: [u8; 4] = self.payload[offset..offset + 4]
            .try_into()
            .expect("the frame is long enough");
        u32::from_be_bytes(bytes) & 0x7fff_ffff
    }

    /// SETTINGS parameters: (identifier, value) pairs.
    pub fn settings(&self) -> Vec<(u16, u32)> {
        self.payload
            .chunks_exact(6)
            .map(|entry| {
                (
                    u16::from_be_bytes([entry[0], entry[1]]),
                    u32::from_be_bytes([entry[2], entry[3], entry[4], entry[5]]),
                )
            })
            .collect()
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.kind {
            DATA => "DATA",
            HEADERS => "HEADERS",
            RST_STREAM => "RST_STREAM",
            SETTINGS => "SETTINGS",
            PING => "PING",
            GOAWAY => "GOAWAY",
            WINDOW_UPDATE => "WINDOW_UPDATE",
            _ => "(other)",
        };
        write!(
            f,
            "{name:<13} stream {:<2} {:>5} bytes",
            self.stream_id,
            self.payload.len()
        )?;
        let flag = |bit: u8| self.flags & bit != 0;
        match self.kind {
            DATA if flag(END_STREAM) => write!(f, "  END_STREAM")?,
            HEADERS => {
                if flag(END_HEADERS) {
                    write!(f, "  END_HEADERS")?;
                }
                if flag(END_STREAM) {
                    write!(f, " END_STREAM")?;
                }
            }
            SETTINGS | PING if flag(END_STREAM) => write!(f, "  ACK")?,
            SETTINGS => {
                for (id, value) in self.settings() {
                    write!(f, "  {id:#x}={value}")?;
                }
            }
            WINDOW_UPDATE => write!(f, "  increment {}", self.u32_at(0))?,
            RST_STREAM => write!(f, "  error code {}", self.u32_at(0))?,
            GOAWAY => write!(
                f,
                "  last stream {}, error code {}",
                self.u32_at(0),
                self.u32_at(4)
            )?,
            _ => {}
        }
        Ok(())
    }
}

/// Every frame each side sent, in order.
#[derive(Debug, Default)]
pub struct FrameLog {
    pub client: Vec<Frame>,
    pub server: Vec<Frame>,
}

/// Starts a TCP proxy to `upstream` that accepts one connection and logs its frames. The
/// handle resolves to the log once both directions have closed.
pub async fn frame_logging_proxy(upstream: SocketAddr) -> (SocketAddr, JoinHandle<FrameLog>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding 127.0.0.1:0 should always work on loopback");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let task = tokio::spawn(async move {
        let (client, _) = listener.accept().await.expect("one client connects");
        let server = TcpStream::connect(upstream)
            .await
            .expect("the proxy should reach the upstream server");
        let (client_read, client_write) = client.into_split();
        let (server_read, server_write) = server.into_split();
        let (client, server) = tokio::join!(
            pump(client_read, server_write, true),
            pump(server_read, client_write, false)
        );
        FrameLog { client, server }
    });
    (addr, task)
}

/// Copies bytes from `from` to `to` until `from` closes, and returns the frames it saw.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, from_client: bool) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut pending = Vec::new();
    let mut preface_left = if from_client { CLIENT_PREFACE.len() } else { 0 };
    let mut chunk = vec![0; 64 * 1024];
    loop {
        let read = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if to.write_all(&chunk[..read]).await.is_err() {
            break;
        }
        pending.extend_from_slice(&chunk[..read]);
        if preface_left > 0 {
            if pending.len() < preface_left {
                continue;
            }
            assert_eq!(
                &pending[..CLIENT_PREFACE.len()],
                CLIENT_PREFACE,
                "an HTTP/2 client starts with the connection preface"
            );
            pending.drain(..preface_left);
            preface_left = 0;
        }
        // A frame header: 24-bit length, 8-bit type, 8-bit flags, 1 reserved bit and a
        // 31-bit stream id; then `length` bytes of payload.
        while let Some(header) = pending.first_chunk::<9>() {
            let len = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
            if pending.len() < 9 + len {
                break;
            }
            let frame = Frame {
                kind: header[3],
                flags: header[4],
                stream_id: u32::from_be_bytes([header[5], header[6], header[7], header[8]])
                    & 0x7fff_ffff,
                payload: pending[9..9 + len].to_vec(),
            };
            pending.drain(..9 + len);
            frames.push(frame);
        }
    }
    let _ = to.shutdown().await;
    frames
}
