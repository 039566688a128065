//! A byte-level HTTP/1.1 client, for requests a well-behaved client library would refuse to send
//! (malformed JSON, oversized bodies, wrong content types) and for checking the server's exact
//! answer. One request per connection (`Connection: close`); the answer is read to the end.
//! [`request`] blocks; [`request_async`] runs on tokio.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long connecting, each write and each read may take.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// The header fields, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked; invalid UTF-8 replaced).
    pub body: String,
}

impl HttpReply {
    /// The first header field named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

/// The bytes of a request's head (request line and header fields, with `Host`, `Connection:
/// close` and `Content-Length` added).
fn request_head(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body_len: usize,
) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {body_len}\r\n\r\n"));
    head
}

fn not_http(raw: &[u8]) -> std::io::Error {
    std::io::Error::other(format!(
        "not an HTTP response: {:?}",
        String::from_utf8_lossy(raw)
    ))
}

/// Sends one request and reads the whole answer (blocking).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpReply> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.write_all(request_head(addr, method, path, headers, body.len()).as_bytes())?;
    // The server may answer (413) and close before reading all of an oversized body.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw).ok_or_else(|| not_http(&raw))
}

/// Sends one request and reads the whole answer (on tokio).
pub async fn request_async(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpReply> {
    let timed_out = |_| std::io::Error::from(std::io::ErrorKind::TimedOut);
    let mut stream = tokio::time::timeout(IO_TIMEOUT, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(timed_out)??;
    let head = request_head(addr, method, path, headers, body.len());
    tokio::time::timeout(IO_TIMEOUT, stream.write_all(head.as_bytes()))
        .await
        .map_err(timed_out)??;
    // The server may answer (413) and close before reading all of an oversized body.
    let _ = tokio::time::timeout(IO_TIMEOUT, stream.write_all(body)).await;
    let mut raw = Vec::new();
    tokio::time::timeout(IO_TIMEOUT, stream.read_to_end(&mut raw))
        .await
        .map_err(timed_out)??;
    parse_response(&raw).ok_or_else(|| not_http(&raw))
}

/// A JSON POST of `body` to `/` (blocking).
pub fn post_json(addr: SocketAddr, body: &[u8]) -> std::io::Result<HttpReply> {
    request(
        addr,
        "POST",
        "/",
        &[("Content-Type", "application/json")],
        body,
    )
}

/// Parses a whole HTTP/1.1 response (a chunked body is de-chunked); `None` if it is not one.
pub fn parse_response(raw: &[u8]) -> Option<HttpReply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Some(HttpReply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_chunked_response() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n";
        let reply = parse_response(raw).unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("x-a"), Some("b"));
        assert_eq!(reply.body, "abcde");
    }

    #[test]
    fn refuses_what_is_not_http() {
        assert!(parse_response(b"hello").is_none());
        assert!(parse_response(b"HTTP/1.1 abc\r\n\r\n").is_none());
    }
}
