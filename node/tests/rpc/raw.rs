//! Byte-level clients, for requests a well-behaved client library would refuse to send (malformed
//! JSON, oversized bodies, wrong content types): HTTP/1.1 through `yrd_testkit::http`, panicking
//! on a transport failure as a test should, and a minimal WebSocket client.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
pub use yrd_testkit::http::HttpReply;

const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends one request with `Connection: close` and reads the whole answer.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpReply {
    yrd_testkit::http::request_async(addr, method, path, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {path} at {addr}: {e}"))
}

/// A JSON-RPC POST of `body`.
pub async fn post(addr: SocketAddr, body: &str) -> HttpReply {
    http(
        addr,
        "POST",
        "/",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await
}

/// GET `path` with optional `Accept`.
pub async fn get(addr: SocketAddr, path: &str, accept: Option<&str>) -> HttpReply {
    let headers: Vec<(&str, &str)> = accept.map(|a| vec![("Accept", a)]).unwrap_or_default();
    http(addr, "GET", path, &headers, b"").await
}

/// A minimal WebSocket client: text frames only, client frames masked as RFC 6455 requires.
pub struct RawWs {
    stream: TcpStream,
}

impl RawWs {
    pub async fn connect(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            tokio::time::timeout(IO_TIMEOUT, stream.read_exact(&mut byte))
                .await
                .unwrap()
                .unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "upgrade refused: {head}");
        Self { stream }
    }

    pub async fn send_text(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= u16::MAX as usize => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await.unwrap();
    }

    /// The next text frame's content.
    pub async fn recv_text(&mut self) -> String {
        tokio::time::timeout(IO_TIMEOUT, self.recv_inner())
            .await
            .expect("no WebSocket frame in time")
    }

    async fn recv_inner(&mut self) -> String {
        loop {
            let mut header = [0u8; 2];
            self.stream.read_exact(&mut header).await.unwrap();
            let opcode = header[0] & 0x0f;
            let mut len = u64::from(header[1] & 0x7f);
            if len == 126 {
                let mut ext = [0u8; 2];
                self.stream.read_exact(&mut ext).await.unwrap();
                len = u64::from(u16::from_be_bytes(ext));
            } else if len == 127 {
                let mut ext = [0u8; 8];
                self.stream.read_exact(&mut ext).await.unwrap();
                len = u64::from_be_bytes(ext);
            }
            let mut payload = vec![0u8; len as usize];
            self.stream.read_exact(&mut payload).await.unwrap();
            match opcode {
                0x1 => return String::from_utf8(payload).unwrap(),
                0x8 => panic!("server closed the WebSocket"),
                _ => continue,
            }
        }
    }
}
