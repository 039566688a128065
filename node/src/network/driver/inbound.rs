//! Inbound traffic: gossiped transactions and direct frames are checked (size, rate, form)
//! here before anything reaches the host; failures are counted and the sender scored down.

use std::time::Instant;

use libp2p::request_response::{self, ResponseChannel};
use libp2p::{PeerId, gossipsub};
use tokio::sync::oneshot;

use super::{Driver, InboundAnswer, PendingOutbound};
use crate::network::codec::{DirectRequest, DirectResponse, FrameError, frame_error};
use crate::network::error::NetworkError;
use crate::network::handle::{GossipTicket, NetworkEvent};
use crate::network::metrics::increment;

impl Driver {
    // ---------------------------------------------------------------- gossip

    pub(super) fn on_gossip(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                // An accepted message waits for the host's verdict (`Command::GossipVerdict`).
                if let Some(acceptance) =
                    self.accept_gossip(propagation_source, message_id.clone(), message)
                {
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            acceptance,
                        );
                }
            }
            gossipsub::Event::Subscribed { peer_id, topic } if topic == self.transaction_topic => {
                self.peers.set_subscribed(&peer_id, true);
            }
            gossipsub::Event::Unsubscribed { peer_id, topic }
                if topic == self.transaction_topic =>
            {
                self.peers.set_subscribed(&peer_id, false);
            }
            _ => {}
        }
    }

    /// Relay, size and rate checks on a gossiped transaction. One that passes goes to the host,
    /// which judges the bytes and passes its verdict back (`None` here: no verdict yet); one that
    /// fails gets its verdict now.
    fn accept_gossip(
        &mut self,
        source: PeerId,
        message_id: gossipsub::MessageId,
        message: gossipsub::Message,
    ) -> Option<gossipsub::MessageAcceptance> {
        let Some(from) = self.members.get(&source).copied() else {
            return Some(gossipsub::MessageAcceptance::Reject);
        };
        if message.topic != self.transaction_topic {
            increment(&self.metrics.malformed_messages_dropped);
            self.penalize(source, "gossip on an unknown topic");
            return Some(gossipsub::MessageAcceptance::Reject);
        }
        if message.data.len() > self.limits.max_gossip_bytes {
            increment(&self.metrics.oversized_messages_dropped);
            tracing::warn!(
                peer = %source,
                size_bytes = message.data.len(),
                reason = "oversized gossip",
                "message dropped"
            );
            self.penalize(source, "oversized gossip");
            return Some(gossipsub::MessageAcceptance::Reject);
        }
        if !self.peers.admit_inbound(source, Instant::now()) {
            increment(&self.metrics.rate_limited_messages_dropped);
            tracing::debug!(peer = %source, reason = "rate limit", "gossip dropped");
            return Some(gossipsub::MessageAcceptance::Ignore);
        }
        increment(&self.metrics.messages_in);
        let delivered = self.emit(NetworkEvent::Transaction {
            from,
            bytes: message.data,
            ticket: GossipTicket { message_id, source },
        });
        if delivered {
            None
        } else {
            Some(gossipsub::MessageAcceptance::Ignore)
        }
    }

    // ---------------------------------------------------------------- direct messages

    pub(super) fn on_direct(
        &mut self,
        event: request_response::Event<Result<DirectRequest, FrameError>, DirectResponse>,
    ) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => match request {
                Ok(request) => self.on_direct_request(peer, request, channel),
                // Dropping the channel closes the stream; the sender sees a failure.
                Err(frame_error) => self.count_bad_frame(peer, frame_error),
            },
            request_response::Event::Message {
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if let Some(PendingOutbound::Request { reply, .. }) =
                    self.pending_outbound.remove(&request_id)
                {
                    let _ = reply.send(Ok(response.0));
                }
            }
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                increment(&self.metrics.send_failures);
                if let request_response::OutboundFailure::Io(io_error) = &error
                    && let Some(frame_error) = frame_error(io_error)
                {
                    // The remote answered with a frame our codec refused.
                    self.count_bad_frame(peer, frame_error.clone());
                }
                tracing::debug!(%peer, error = %error, "direct request failed");
                let Some(pending) = self.pending_outbound.remove(&request_id) else {
                    return;
                };
                if let PendingOutbound::Request { to, reply } = pending {
                    let key_hex = hex::encode(to);
                    let err = match error {
                        request_response::OutboundFailure::Timeout => {
                            NetworkError::RequestTimeout {
                                key_hex,
                                waited_ms: self.limits.request_timeout.as_millis() as u64,
                            }
                        }
                        other => NetworkError::RequestFailed {
                            key_hex,
                            reason: other.to_string(),
                        },
                    };
                    let _ = reply.send(Err(err));
                } else if let PendingOutbound::Message { to } = pending {
                    tracing::debug!(key = %hex::encode(to), "direct message lost");
                }
            }
            // Refused inbound frames arrive as `Err` requests above; what is left here is a
            // broken stream, a timeout or our own unanswered request, none the peer's fault.
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, error = %error, "inbound request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn count_bad_frame(&mut self, peer: PeerId, frame_error: FrameError) {
        let reason = match frame_error {
            FrameError::TooLarge { .. } => {
                increment(&self.metrics.oversized_messages_dropped);
                "oversized direct message"
            }
            FrameError::EmptyRequest | FrameError::UnknownKind(_) | FrameError::TrailingBytes => {
                increment(&self.metrics.malformed_messages_dropped);
                "malformed direct message"
            }
        };
        tracing::warn!(%peer, error = %frame_error, reason, "direct message dropped");
        self.penalize(peer, reason);
    }

    fn on_direct_request(
        &mut self,
        peer: PeerId,
        request: DirectRequest,
        channel: ResponseChannel<DirectResponse>,
    ) {
        let Some(from) = self.members.get(&peer).copied() else {
            return;
        };
        if !self.peers.admit_inbound(peer, Instant::now()) {
            increment(&self.metrics.rate_limited_messages_dropped);
            tracing::debug!(%peer, size_bytes = request.payload_len(), reason = "rate limit", "direct message dropped");
            // Dropping the channel tells the sender nothing was accepted.
            return;
        }
        increment(&self.metrics.messages_in);
        match request {
            DirectRequest::Message {
                channel: kind,
                payload,
            } => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .direct
                    .send_response(channel, DirectResponse(Vec::new()));
                let _ = self.emit(NetworkEvent::Message {
                    from,
                    channel: kind,
                    bytes: payload,
                });
            }
            DirectRequest::Request { payload } => {
                if self.pending_inbound.len() >= self.limits.max_pending_inbound_requests {
                    increment(&self.metrics.inbound_requests_dropped_overload);
                    tracing::warn!(%peer, reason = "too many pending inbound requests", "request dropped");
                    return;
                }
                let (respond, answer) = oneshot::channel();
                let _ = self.emit(NetworkEvent::Request {
                    from,
                    bytes: payload,
                    respond,
                });
                let timeout = self.limits.request_timeout;
                self.pending_inbound.push(Box::pin(async move {
                    let answer = tokio::time::timeout(timeout, answer)
                        .await
                        .ok()
                        .and_then(Result::ok);
                    InboundAnswer {
                        peer,
                        channel,
                        answer,
                    }
                }));
            }
        }
    }

    pub(super) fn on_inbound_answer(&mut self, answer: InboundAnswer) {
        let InboundAnswer {
            peer,
            channel,
            answer,
        } = answer;
        match answer {
            Some(bytes) if bytes.len() > self.limits.max_message_bytes => {
                tracing::warn!(
                    %peer,
                    size_bytes = bytes.len(),
                    limit_bytes = self.limits.max_message_bytes,
                    "response too large; not sent"
                );
            }
            Some(bytes) => {
                if self
                    .swarm
                    .behaviour_mut()
                    .direct
                    .send_response(channel, DirectResponse(bytes))
                    .is_err()
                {
                    tracing::debug!(%peer, "response channel closed before the answer");
                }
            }
            None => tracing::debug!(%peer, "request left unanswered by the host"),
        }
    }
}
