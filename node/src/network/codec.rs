//! Wire format of the direct request-response protocol `/yrd/direct/1`.
//!
//! Every stream carries one request frame and one response frame:
//!
//! ```text
//! frame    = length:u32 big-endian || body            (length = body size in bytes)
//! request  = frame with body = kind:u8 || payload     kind 0 consensus, 1 sync, 2 request
//! response = frame with body = payload                (empty for kinds 0 and 1: an acknowledgement)
//! ```
//!
//! The writer closes its half of the stream after the frame, so a reader also rejects trailing
//! bytes: each payload has exactly one encoding. The length prefix is checked against the limit
//! before anything is allocated, so a peer can never make us allocate more than the limit.
//!
//! A refused request frame is not an I/O error: it is read as `Err(FrameError)` and delivered
//! like a request, so the network task learns which peer sent it and can score it down
//! (request-response does not report read errors of inbound streams). A refused response frame
//! is an I/O error carrying the `FrameError`, which the outbound failure event does report.

use std::future::Future;
use std::io;
use std::pin::Pin;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use libp2p::request_response;

/// Protocol name negotiated for direct messages.
pub const DIRECT_PROTOCOL: StreamProtocol = StreamProtocol::new("/yrd/direct/1");

/// Size of the big-endian length prefix.
const LENGTH_PREFIX_BYTES: usize = 4;
/// Size of the kind tag in front of a request payload.
const KIND_TAG_BYTES: usize = 1;

const KIND_CONSENSUS: u8 = 0;
const KIND_SYNC: u8 = 1;
const KIND_REQUEST: u8 = 2;

/// Which stream of one-way direct messages a payload belongs to, so the host can route it
/// without parsing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Proposals, votes and timeouts.
    Consensus,
    /// Block and state synchronisation announcements.
    Sync,
}

/// An inbound or outbound direct request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DirectRequest {
    /// A one-way message; the answer is an empty acknowledgement.
    Message {
        /// The channel it travels on.
        channel: Channel,
        /// Opaque payload.
        payload: Vec<u8>,
    },
    /// A request whose answer the remote host produces.
    Request {
        /// Opaque payload.
        payload: Vec<u8>,
    },
}

impl DirectRequest {
    pub(crate) fn payload_len(&self) -> usize {
        match self {
            Self::Message { payload, .. } | Self::Request { payload } => payload.len(),
        }
    }
}

/// The answer to a [`DirectRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirectResponse(pub(crate) Vec<u8>);

/// Why a frame was rejected: a misbehaving peer, as opposed to a broken connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FrameError {
    /// The length prefix announces more than the limit.
    #[error("frame of {length_bytes} bytes exceeds the limit of {limit_bytes} bytes")]
    TooLarge {
        /// Announced body length.
        length_bytes: u64,
        /// Largest body accepted.
        limit_bytes: usize,
    },
    /// A request body without a kind tag.
    #[error("empty request frame")]
    EmptyRequest,
    /// A request kind this version does not know.
    #[error("unknown request kind {0}")]
    UnknownKind(u8),
    /// Bytes after the frame before the writer closed the stream.
    #[error("trailing bytes after the frame")]
    TrailingBytes,
}

impl FrameError {
    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// The frame error inside an I/O error, if the error came from our codec rejecting a response.
pub(crate) fn frame_error(error: &io::Error) -> Option<&FrameError> {
    error.get_ref()?.downcast_ref::<FrameError>()
}

/// Encodes and decodes direct frames with a payload limit.
#[derive(Clone, Debug)]
pub(crate) struct DirectCodec {
    /// Largest payload accepted or sent.
    max_message_bytes: usize,
}

impl DirectCodec {
    pub(crate) fn new(max_message_bytes: usize) -> Self {
        Self { max_message_bytes }
    }

    fn max_request_body_bytes(&self) -> usize {
        self.max_message_bytes.saturating_add(KIND_TAG_BYTES)
    }
}

/// Encodes a request body (kind tag and payload).
fn encode_request_body(request: DirectRequest) -> Vec<u8> {
    let (kind, payload) = match request {
        DirectRequest::Message {
            channel: Channel::Consensus,
            payload,
        } => (KIND_CONSENSUS, payload),
        DirectRequest::Message {
            channel: Channel::Sync,
            payload,
        } => (KIND_SYNC, payload),
        DirectRequest::Request { payload } => (KIND_REQUEST, payload),
    };
    let mut body = Vec::with_capacity(payload.len().saturating_add(KIND_TAG_BYTES));
    body.push(kind);
    body.extend_from_slice(&payload);
    body
}

/// Decodes a request body read from the wire.
fn decode_request_body(mut body: Vec<u8>) -> Result<DirectRequest, FrameError> {
    if body.is_empty() {
        return Err(FrameError::EmptyRequest);
    }
    let kind = body.remove(0);
    match kind {
        KIND_CONSENSUS => Ok(DirectRequest::Message {
            channel: Channel::Consensus,
            payload: body,
        }),
        KIND_SYNC => Ok(DirectRequest::Message {
            channel: Channel::Sync,
            payload: body,
        }),
        KIND_REQUEST => Ok(DirectRequest::Request { payload: body }),
        other => Err(FrameError::UnknownKind(other)),
    }
}

/// Reads one frame of at most `limit_bytes` body bytes and checks that the stream then ends.
/// The outer error is the connection's; the inner one is the peer's fault.
async fn read_frame<T>(io: &mut T, limit_bytes: usize) -> io::Result<Result<Vec<u8>, FrameError>>
where
    T: AsyncRead + Unpin + Send,
{
    let mut prefix = [0u8; LENGTH_PREFIX_BYTES];
    io.read_exact(&mut prefix).await?;
    let length_bytes = u32::from_be_bytes(prefix);
    let length = match usize::try_from(length_bytes) {
        Ok(length) if length <= limit_bytes => length,
        _ => {
            // The body is left unread; the stream is dropped with it.
            return Ok(Err(FrameError::TooLarge {
                length_bytes: u64::from(length_bytes),
                limit_bytes,
            }));
        }
    };
    let mut body = vec![0u8; length];
    io.read_exact(&mut body).await?;
    let mut probe = [0u8; 1];
    if io.read(&mut probe).await? != 0 {
        return Ok(Err(FrameError::TrailingBytes));
    }
    Ok(Ok(body))
}

/// Writes one frame of at most `limit_bytes` body bytes.
async fn write_frame<T>(io: &mut T, body: &[u8], limit_bytes: usize) -> io::Result<()>
where
    T: AsyncWrite + Unpin + Send,
{
    let too_large = || FrameError::TooLarge {
        length_bytes: body.len() as u64,
        limit_bytes,
    };
    if body.len() > limit_bytes {
        return Err(too_large().into_io());
    }
    let length = u32::try_from(body.len()).map_err(|_| too_large().into_io())?;
    io.write_all(&length.to_be_bytes()).await?;
    io.write_all(body).await?;
    io.flush().await
}

type BoxedIo<'a, O> = Pin<Box<dyn Future<Output = io::Result<O>> + Send + 'a>>;

// The `Codec` trait is declared with `#[async_trait]`; these are its methods written out by hand
// (boxed futures bound by the `'async_trait` lifetime) to avoid another dependency.
impl request_response::Codec for DirectCodec {
    type Protocol = StreamProtocol;
    /// Outbound requests are always `Ok`; inbound ones are `Err` when the frame was refused.
    type Request = Result<DirectRequest, FrameError>;
    type Response = DirectResponse;

    fn read_request<'life0, 'life1, 'life2, 'async_trait, T>(
        &'life0 mut self,
        _protocol: &'life1 Self::Protocol,
        io: &'life2 mut T,
    ) -> BoxedIo<'async_trait, Self::Request>
    where
        T: AsyncRead + Unpin + Send + 'async_trait,
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        let limit_bytes = self.max_request_body_bytes();
        Box::pin(async move {
            let frame = read_frame(io, limit_bytes).await?;
            Ok(frame.and_then(decode_request_body))
        })
    }

    fn read_response<'life0, 'life1, 'life2, 'async_trait, T>(
        &'life0 mut self,
        _protocol: &'life1 Self::Protocol,
        io: &'life2 mut T,
    ) -> BoxedIo<'async_trait, Self::Response>
    where
        T: AsyncRead + Unpin + Send + 'async_trait,
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        let limit_bytes = self.max_message_bytes;
        Box::pin(async move {
            let frame = read_frame(io, limit_bytes).await?;
            frame.map(DirectResponse).map_err(FrameError::into_io)
        })
    }

    fn write_request<'life0, 'life1, 'life2, 'async_trait, T>(
        &'life0 mut self,
        _protocol: &'life1 Self::Protocol,
        io: &'life2 mut T,
        request: Self::Request,
    ) -> BoxedIo<'async_trait, ()>
    where
        T: AsyncWrite + Unpin + Send + 'async_trait,
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        let limit_bytes = self.max_request_body_bytes();
        Box::pin(async move {
            // A refused inbound frame is never sent back out.
            let body = encode_request_body(request.map_err(FrameError::into_io)?);
            write_frame(io, &body, limit_bytes).await
        })
    }

    fn write_response<'life0, 'life1, 'life2, 'async_trait, T>(
        &'life0 mut self,
        _protocol: &'life1 Self::Protocol,
        io: &'life2 mut T,
        response: Self::Response,
    ) -> BoxedIo<'async_trait, ()>
    where
        T: AsyncWrite + Unpin + Send + 'async_trait,
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        let limit_bytes = self.max_message_bytes;
        Box::pin(async move { write_frame(io, &response.0, limit_bytes).await })
    }
}

/// Reads `bytes` as one inbound request stream and as one response stream through the real codec
/// with a payload limit of `max_message_bytes`, and panics if anything it accepts does not encode
/// back to exactly `bytes`, or if a refusal is anything but a frame error or a truncated stream.
/// The entry point of the `node_network_frame` fuzz target (feature `fuzzing`); not used by the node.
#[cfg(feature = "fuzzing")]
pub fn check_frame_bytes(bytes: &[u8], max_message_bytes: usize) {
    use futures::executor::block_on;
    use futures::io::Cursor;
    use request_response::Codec;

    let mut codec = DirectCodec::new(max_message_bytes);
    let mut input = Cursor::new(bytes.to_vec());
    match block_on(codec.read_request(&DIRECT_PROTOCOL, &mut input)) {
        Ok(Ok(request)) => {
            let mut out = Cursor::new(Vec::new());
            let written = block_on(codec.write_request(&DIRECT_PROTOCOL, &mut out, Ok(request)));
            assert!(
                written.is_ok(),
                "an accepted request could not be written back"
            );
            assert_eq!(
                out.into_inner(),
                bytes,
                "an accepted request is not canonical"
            );
        }
        Ok(Err(_)) => {}
        Err(error) => assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof),
    }
    let mut input = Cursor::new(bytes.to_vec());
    match block_on(codec.read_response(&DIRECT_PROTOCOL, &mut input)) {
        Ok(response) => {
            let mut out = Cursor::new(Vec::new());
            let written = block_on(codec.write_response(&DIRECT_PROTOCOL, &mut out, response));
            assert!(
                written.is_ok(),
                "an accepted response could not be written back"
            );
            assert_eq!(
                out.into_inner(),
                bytes,
                "an accepted response is not canonical"
            );
        }
        Err(error) => assert!(
            error.kind() == io::ErrorKind::UnexpectedEof || frame_error(&error).is_some(),
            "a response was refused with an unexpected error: {error}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use futures::io::Cursor;
    use libp2p::request_response::Codec;

    use super::*;

    const LIMIT: usize = 16;

    fn encode(request: DirectRequest, limit: usize) -> io::Result<Vec<u8>> {
        let mut out = Cursor::new(Vec::new());
        block_on(DirectCodec::new(limit).write_request(&DIRECT_PROTOCOL, &mut out, Ok(request)))?;
        Ok(out.into_inner())
    }

    fn decode(bytes: Vec<u8>, limit: usize) -> io::Result<Result<DirectRequest, FrameError>> {
        let mut input = Cursor::new(bytes);
        block_on(DirectCodec::new(limit).read_request(&DIRECT_PROTOCOL, &mut input))
    }

    #[test]
    fn golden_request_encoding() {
        let bytes = encode(
            DirectRequest::Message {
                channel: Channel::Sync,
                payload: vec![0xaa, 0xbb],
            },
            LIMIT,
        )
        .unwrap();
        assert_eq!(bytes, [0, 0, 0, 3, KIND_SYNC, 0xaa, 0xbb]);
        let bytes = encode(DirectRequest::Request { payload: vec![] }, LIMIT).unwrap();
        assert_eq!(bytes, [0, 0, 0, 1, KIND_REQUEST]);
    }

    #[test]
    fn every_kind_round_trips() {
        let requests = [
            DirectRequest::Message {
                channel: Channel::Consensus,
                payload: vec![1, 2, 3],
            },
            DirectRequest::Message {
                channel: Channel::Sync,
                payload: vec![],
            },
            DirectRequest::Request {
                payload: vec![7; LIMIT],
            },
        ];
        for request in requests {
            let bytes = encode(request.clone(), LIMIT).unwrap();
            assert_eq!(decode(bytes, LIMIT).unwrap(), Ok(request));
        }
    }

    #[test]
    fn payload_at_the_limit_passes_and_one_more_byte_is_refused() {
        let at_limit = DirectRequest::Request {
            payload: vec![1; LIMIT],
        };
        let bytes = encode(at_limit.clone(), LIMIT).unwrap();
        assert_eq!(decode(bytes, LIMIT).unwrap(), Ok(at_limit));

        let over = DirectRequest::Request {
            payload: vec![1; LIMIT + 1],
        };
        // The writer refuses to send it...
        let error = encode(over.clone(), LIMIT).unwrap_err();
        assert!(matches!(
            frame_error(&error),
            Some(FrameError::TooLarge { .. })
        ));
        // ...and a reader with a smaller limit refuses a sender with a larger one.
        let bytes = encode(over, LIMIT + 1).unwrap();
        assert_eq!(
            decode(bytes, LIMIT).unwrap(),
            Err(FrameError::TooLarge {
                length_bytes: (LIMIT + 2) as u64,
                limit_bytes: LIMIT + 1,
            })
        );
    }

    #[test]
    fn huge_length_prefix_is_refused_without_reading_a_body() {
        // Only the prefix is present: the reader must fail on the limit, not wait for 4 GiB.
        assert_eq!(
            decode(vec![0xff, 0xff, 0xff, 0xff], LIMIT).unwrap(),
            Err(FrameError::TooLarge {
                length_bytes: 0xffff_ffff,
                limit_bytes: LIMIT + 1,
            })
        );
    }

    #[test]
    fn malformed_frames_are_refused() {
        assert_eq!(
            decode(vec![0, 0, 0, 0], LIMIT).unwrap(),
            Err(FrameError::EmptyRequest)
        );
        assert_eq!(
            decode(vec![0, 0, 0, 1, 9], LIMIT).unwrap(),
            Err(FrameError::UnknownKind(9))
        );
        assert_eq!(
            decode(vec![0, 0, 0, 1, KIND_REQUEST, 0], LIMIT).unwrap(),
            Err(FrameError::TrailingBytes)
        );

        // A truncated body is an I/O error, not a frame error.
        let error = decode(vec![0, 0, 0, 5, KIND_REQUEST, 1], LIMIT).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        assert!(frame_error(&error).is_none());
    }

    #[test]
    fn responses_round_trip_and_respect_the_limit() {
        let mut codec = DirectCodec::new(LIMIT);
        let mut out = Cursor::new(Vec::new());
        block_on(codec.write_response(&DIRECT_PROTOCOL, &mut out, DirectResponse(vec![5; LIMIT])))
            .unwrap();
        let mut input = Cursor::new(out.into_inner());
        let response = block_on(codec.read_response(&DIRECT_PROTOCOL, &mut input)).unwrap();
        assert_eq!(response, DirectResponse(vec![5; LIMIT]));

        let mut out = Cursor::new(Vec::new());
        let error = block_on(codec.write_response(
            &DIRECT_PROTOCOL,
            &mut out,
            DirectResponse(vec![5; LIMIT + 1]),
        ))
        .unwrap_err();
        assert!(matches!(
            frame_error(&error),
            Some(FrameError::TooLarge { .. })
        ));

        // A response frame over the limit is an I/O error carrying the frame error.
        let mut input = Cursor::new(vec![0, 0, 0, (LIMIT + 1) as u8]);
        let error = block_on(codec.read_response(&DIRECT_PROTOCOL, &mut input)).unwrap_err();
        assert_eq!(
            frame_error(&error),
            Some(&FrameError::TooLarge {
                length_bytes: (LIMIT + 1) as u64,
                limit_bytes: LIMIT,
            })
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_accepted_frames_are_canonical() {
        // Deterministic pseudo-random inputs (blake3 of a counter); every other one gets a
        // plausible length prefix and kind so that many of them parse.
        let mut accepted = 0;
        for counter in 0u32..4_000 {
            let seed = blake3::hash(&counter.to_le_bytes());
            let seed = seed.as_bytes();
            let length = usize::from(seed[0] % 24);
            let mut bytes = seed[1..=length].to_vec();
            if bytes.len() >= 5 && counter % 2 == 0 {
                let body_length = bytes.len() - 4 - usize::from(seed[31] % 2);
                bytes[..4].copy_from_slice(&(body_length as u32).to_be_bytes());
                bytes[4] %= 4;
            }
            match decode(bytes.clone(), LIMIT) {
                Ok(Ok(request)) => {
                    accepted += 1;
                    assert_eq!(encode(request, LIMIT).unwrap(), bytes);
                }
                Ok(Err(_)) => {}
                Err(error) => assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof),
            }
        }
        assert!(accepted > 200, "only {accepted} inputs parsed");
    }

    #[test]
    fn a_refused_request_is_never_written() {
        let mut out = Cursor::new(Vec::new());
        let error = block_on(DirectCodec::new(LIMIT).write_request(
            &DIRECT_PROTOCOL,
            &mut out,
            Err(FrameError::EmptyRequest),
        ))
        .unwrap_err();
        assert_eq!(frame_error(&error), Some(&FrameError::EmptyRequest));
        assert!(out.into_inner().is_empty());
    }
}
