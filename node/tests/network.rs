//! Network layer tests over real TCP sockets on 127.0.0.1. Every test is bounded by a timeout
//! and stops its nodes by itself.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use yrd_node::network::{
    self, BootstrapPeer, Channel, GossipVerdict, Multiaddr, NetworkConfig, NetworkError,
    NetworkEvent, NetworkHandle, PublicKeyBytes, public_key_from_secret,
};

/// Upper bound of any single test.
const TEST_TIMEOUT: Duration = Duration::from_secs(40);
/// Poll interval when waiting for a condition.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

struct TestNode {
    handle: NetworkHandle,
    events: mpsc::Receiver<NetworkEvent>,
    key: PublicKeyBytes,
    address: Multiaddr,
}

fn secret(seed: u8) -> [u8; 32] {
    let mut secret = [seed; 32];
    secret[0] = 0xa5;
    secret
}

fn key(seed: u8) -> PublicKeyBytes {
    public_key_from_secret(&secret(seed)).unwrap()
}

fn loopback_any_port() -> Multiaddr {
    "/ip4/127.0.0.1/tcp/0".parse().unwrap()
}

/// A free loopback port, for a node whose address others must know before it starts.
fn reserve_port() -> Multiaddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()
}

/// A configuration with quick timers, suited to tests.
fn config(seed: u8, members: &[u8], bootstrap: &[(u8, &Multiaddr)]) -> NetworkConfig {
    let mut config = NetworkConfig::new(secret(seed), loopback_any_port());
    config.members = members.iter().map(|member| key(*member)).collect();
    config.bootstrap = bootstrap
        .iter()
        .map(|(member, address)| BootstrapPeer {
            public_key: key(*member),
            address: (*address).clone(),
        })
        .collect();
    config.reconnect_backoff_min_ms = 50;
    config.reconnect_backoff_max_ms = 400;
    config.gossip_heartbeat_interval_ms = 200;
    config.request_timeout_ms = 5_000;
    config
}

async fn start(config: NetworkConfig) -> TestNode {
    // Logs only when RUST_LOG is set, e.g. `RUST_LOG=yrd_node=debug`.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let (handle, events, info) = network::start(config).await.unwrap();
    TestNode {
        key: handle.local_public_key(),
        handle,
        events,
        address: info.listen_addresses[0].clone(),
    }
}

async fn bounded<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .expect("test did not finish in time");
}

/// Waits for the first event matching `wanted`, discarding others.
async fn next_matching(
    events: &mut mpsc::Receiver<NetworkEvent>,
    mut wanted: impl FnMut(&NetworkEvent) -> bool,
) -> NetworkEvent {
    loop {
        let event = events.recv().await.expect("event stream ended");
        if wanted(&event) {
            return event;
        }
    }
}

/// Polls `condition` until it holds.
async fn eventually<F, Fut>(mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    while !condition().await {
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// The keys of `node`'s connected peers.
async fn connected_keys(node: &NetworkHandle) -> BTreeSet<PublicKeyBytes> {
    node.peers()
        .await
        .unwrap()
        .into_iter()
        .map(|peer| peer.public_key)
        .collect()
}

/// Waits until `node` is connected to exactly `keys` and all of them subscribed to gossip.
async fn wait_for_mesh(node: &NetworkHandle, keys: &[PublicKeyBytes]) {
    let expected: BTreeSet<PublicKeyBytes> = keys.iter().copied().collect();
    eventually(|| async {
        let peers = node.peers().await.unwrap();
        let subscribed: BTreeSet<PublicKeyBytes> = peers
            .iter()
            .filter(|peer| peer.subscribed_to_transactions)
            .map(|peer| peer.public_key)
            .collect();
        subscribed == expected
    })
    .await;
}

/// Three members A, B, C with a full mesh (B dials A; C dials A and B).
async fn three_members(seeds: [u8; 3]) -> (TestNode, TestNode, TestNode) {
    let [a, b, c] = seeds;
    let node_a = start(config(a, &seeds, &[])).await;
    let node_b = start(config(b, &seeds, &[(a, &node_a.address)])).await;
    let node_c = start(config(
        c,
        &seeds,
        &[(a, &node_a.address), (b, &node_b.address)],
    ))
    .await;
    wait_for_mesh(&node_a.handle, &[node_b.key, node_c.key]).await;
    wait_for_mesh(&node_b.handle, &[node_a.key, node_c.key]).await;
    wait_for_mesh(&node_c.handle, &[node_a.key, node_b.key]).await;
    (node_a, node_b, node_c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_exchange_gossip_direct_messages_and_requests() {
    bounded(async {
        let (a, mut b, mut c) = three_members([1, 2, 3]).await;

        // Gossip: a transaction published on A reaches B and C straight from A (the publisher
        // sends to every member; gossip is unsigned, the relay is the authenticated connection).
        a.handle.publish_transaction(b"tx-1".to_vec()).await.unwrap();
        // B hears it first-hand (C has not accepted it yet, so C forwards nothing). C may hear it
        // from A or, when A's copy is slower (a loaded machine), from B's forward once B
        // accepted it: either way from an authenticated member that had it.
        let b_key = b.key;
        for (node, senders) in [(&mut b, vec![a.key]), (&mut c, vec![a.key, b_key])] {
            let event = next_matching(&mut node.events, |event| {
                matches!(event, NetworkEvent::Transaction { .. })
            })
            .await;
            let NetworkEvent::Transaction {
                from,
                bytes,
                ticket,
            } = event
            else {
                unreachable!()
            };
            assert_eq!(bytes, b"tx-1");
            assert!(senders.contains(&from), "tx-1 from an unexpected peer");
            // The host's verdict goes back; only then would gossipsub forward it.
            node.handle
                .gossip_verdict(ticket, GossipVerdict::Accept)
                .await
                .unwrap();
        }
        // Publishing the same bytes again is a duplicate (message id = hash of the data).
        assert!(matches!(
            a.handle.publish_transaction(b"tx-1".to_vec()).await,
            Err(NetworkError::Publish(_))
        ));

        // Direct message A -> C.
        a.handle
            .send(c.key, Channel::Consensus, b"vote".to_vec())
            .await
            .unwrap();
        let event = next_matching(&mut c.events, |event| {
            matches!(event, NetworkEvent::Message { .. })
        })
        .await;
        let NetworkEvent::Message {
            from,
            channel,
            bytes,
        } = event
        else {
            unreachable!()
        };
        assert_eq!((from, channel, bytes), (a.key, Channel::Consensus, b"vote".to_vec()));

        // Request A -> B, answered by B's host.
        let answer_on_b = async {
            let event = next_matching(&mut b.events, |event| {
                matches!(event, NetworkEvent::Request { .. })
            })
            .await;
            let NetworkEvent::Request {
                from,
                bytes,
                respond,
            } = event
            else {
                unreachable!()
            };
            assert_eq!(from, a.key);
            let mut answer = b"block-for-".to_vec();
            answer.extend_from_slice(&bytes);
            respond.send(answer).unwrap();
        };
        let (response, ()) = tokio::join!(a.handle.request(b.key, b"7".to_vec()), answer_on_b);
        assert_eq!(response.unwrap(), b"block-for-7");

        // Broadcast reaches every connected member on the requested channel.
        a.handle
            .broadcast(Channel::Sync, b"head".to_vec())
            .await
            .unwrap();
        for node in [&mut b, &mut c] {
            let event = next_matching(&mut node.events, |event| {
                matches!(event, NetworkEvent::Message { .. })
            })
            .await;
            assert!(matches!(
                event,
                NetworkEvent::Message { from, channel: Channel::Sync, ref bytes } if from == a.key && bytes == b"head"
            ));
        }

        let metrics = a.handle.metrics();
        // One publish, one send, one request, two broadcast copies.
        assert_eq!(metrics.messages_out, 5);
        assert_eq!(metrics.connections_refused_non_member, 0);
        let peer_b = a
            .handle
            .peers()
            .await
            .unwrap()
            .into_iter()
            .find(|peer| peer.public_key == b.key)
            .unwrap();
        assert_eq!(peer_b.messages_out, 2);
        assert_eq!(peer_b.score, 0);

        // Local size checks happen before anything is queued.
        let too_big = vec![0; network::DEFAULT_MAX_GOSSIP_BYTES + 1];
        assert!(matches!(
            a.handle.publish_transaction(too_big).await,
            Err(NetworkError::MessageTooLarge { .. })
        ));
        for node in [&a, &b, &c] {
            node.handle.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_member_is_refused_at_connection_time_and_gets_no_gossip() {
    bounded(async {
        let (a, b, c) = three_members([11, 12, 13]).await;
        // D lists everyone (itself included) as members, but the others do not list D.
        let mut d = start(config(
            14,
            &[11, 12, 13, 14],
            &[(11, &a.address), (12, &b.address), (13, &c.address)],
        ))
        .await;

        for node in [&a, &b, &c] {
            eventually(|| async { node.handle.metrics().connections_refused_non_member >= 1 })
                .await;
        }
        assert!(d.handle.metrics().dial_attempts >= 3);

        // No member ever lists D as a peer, and D's key is unknown to their direct protocol.
        for node in [&a, &b, &c] {
            assert!(!connected_keys(&node.handle).await.contains(&d.key));
        }
        assert!(matches!(
            a.handle.request(d.key, b"hello".to_vec()).await,
            Err(NetworkError::NotMember { .. })
        ));

        // Gossip reaches members but never D.
        a.handle
            .publish_transaction(b"tx-secret".to_vec())
            .await
            .unwrap();
        let mut b = b;
        next_matching(&mut b.events, |event| {
            matches!(event, NetworkEvent::Transaction { bytes, .. } if bytes == b"tx-secret")
        })
        .await;
        let quiet_until = Instant::now() + Duration::from_millis(700);
        while let Ok(Some(event)) =
            tokio::time::timeout_at(quiet_until.into(), d.events.recv()).await
        {
            assert!(
                !matches!(
                    event,
                    NetworkEvent::Transaction { .. }
                        | NetworkEvent::Message { .. }
                        | NetworkEvent::Request { .. }
                ),
                "non-member received {event:?}"
            );
        }
        assert_eq!(d.handle.metrics().messages_in, 0);
        for node in [&a, &b, &c, &d] {
            node.handle.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_are_dropped_and_counted_and_the_receiver_keeps_working() {
    bounded(async {
        const RECEIVER_LIMIT_BYTES: usize = 1_024;
        const RECEIVER_GOSSIP_LIMIT_BYTES: usize = 1_024;
        // The sender allows more than the receiver, so oversized frames really reach the wire.
        let mut sender_config = config(21, &[21, 22], &[]);
        sender_config.max_message_bytes = 64 * 1_024;
        sender_config.max_gossip_bytes = 4 * 1_024;
        let a = start(sender_config).await;
        let mut receiver_config = config(22, &[21, 22], &[(21, &a.address)]);
        receiver_config.max_message_bytes = RECEIVER_LIMIT_BYTES;
        receiver_config.max_gossip_bytes = RECEIVER_GOSSIP_LIMIT_BYTES;
        let mut c = start(receiver_config).await;
        wait_for_mesh(&a.handle, &[c.key]).await;
        wait_for_mesh(&c.handle, &[a.key]).await;

        let is_message = |event: &NetworkEvent| matches!(event, NetworkEvent::Message { .. });
        // Exactly at the limit: delivered.
        a.handle
            .send(c.key, Channel::Consensus, vec![1; RECEIVER_LIMIT_BYTES])
            .await
            .unwrap();
        let event = next_matching(&mut c.events, is_message).await;
        assert!(matches!(event, NetworkEvent::Message { ref bytes, .. } if bytes.len() == RECEIVER_LIMIT_BYTES));

        // One byte over: dropped by the receiver's codec, counted, sender scored down.
        a.handle
            .send(c.key, Channel::Consensus, vec![2; RECEIVER_LIMIT_BYTES + 1])
            .await
            .unwrap();
        eventually(|| async { c.handle.metrics().oversized_messages_dropped == 1 }).await;

        // Oversized gossip (within gossipsub's envelope allowance) is rejected and counted too.
        a.handle
            .publish_transaction(vec![3; RECEIVER_GOSSIP_LIMIT_BYTES + 200])
            .await
            .unwrap();
        eventually(|| async { c.handle.metrics().oversized_messages_dropped == 2 }).await;

        // The receiver still works; the next message is the small one, nothing oversized came
        // through in between.
        a.handle
            .send(c.key, Channel::Consensus, b"after".to_vec())
            .await
            .unwrap();
        let event = next_matching(&mut c.events, |event| {
            matches!(event, NetworkEvent::Message { .. } | NetworkEvent::Transaction { .. })
        })
        .await;
        assert!(matches!(event, NetworkEvent::Message { ref bytes, .. } if bytes == b"after"));

        let peer_a = c
            .handle
            .peers()
            .await
            .unwrap()
            .into_iter()
            .find(|peer| peer.public_key == a.key)
            .expect("sender still connected");
        assert_eq!(peer_a.score, -2);
        assert_eq!(c.handle.metrics().bans, 0);
        for node in [&a, &c] {
            node.handle.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_above_the_rate_limit_is_partly_dropped_and_counted() {
    bounded(async {
        const BURST: u32 = 10;
        const SENT: u64 = 60;
        let a = start(config(31, &[31, 32], &[])).await;
        let mut receiver_config = config(32, &[31, 32], &[(31, &a.address)]);
        receiver_config.rate_limit_messages_per_sec = 5;
        receiver_config.rate_limit_burst_messages = BURST;
        let mut c = start(receiver_config).await;
        wait_for_mesh(&a.handle, &[c.key]).await;
        wait_for_mesh(&c.handle, &[a.key]).await;

        for index in 0..SENT {
            a.handle
                .send(c.key, Channel::Consensus, index.to_be_bytes().to_vec())
                .await
                .unwrap();
        }
        eventually(|| async {
            let metrics = c.handle.metrics();
            metrics.messages_in + metrics.rate_limited_messages_dropped == SENT
        })
        .await;
        let metrics = c.handle.metrics();
        assert!(metrics.messages_in >= u64::from(BURST), "{metrics:?}");
        assert!(metrics.rate_limited_messages_dropped > 0, "{metrics:?}");
        assert!(metrics.messages_in < SENT, "{metrics:?}");

        // Exactly the admitted messages reached the host.
        let mut delivered = 0;
        while let Ok(event) = c.events.try_recv() {
            if matches!(event, NetworkEvent::Message { .. }) {
                delivered += 1;
            }
        }
        assert_eq!(delivered, metrics.messages_in);
        // The sender learns that the dropped ones were not accepted.
        eventually(|| async {
            a.handle.metrics().send_failures == metrics.rate_limited_messages_dropped
        })
        .await;
        for node in [&a, &c] {
            node.handle.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reported_invalid_peer_is_disconnected_banned_and_readmitted_after_the_ban() {
    bounded(async {
        const BAN_MS: u64 = 1_500;
        let mut judge_config = config(41, &[41, 42], &[]);
        judge_config.invalid_message_score_threshold = 3;
        judge_config.ban_duration_ms = BAN_MS;
        let mut a = start(judge_config).await;
        let b = start(config(42, &[41, 42], &[(41, &a.address)])).await;
        wait_for_mesh(&a.handle, &[b.key]).await;

        a.handle
            .report_invalid(b.key, "bad signature")
            .await
            .unwrap();
        a.handle
            .report_invalid(b.key, "bad signature")
            .await
            .unwrap();
        let peers = a.handle.peers().await.unwrap();
        assert_eq!(peers.len(), 1);
        assert_eq!(peers[0].score, -2);

        let banned_at = Instant::now();
        a.handle
            .report_invalid(b.key, "bad signature")
            .await
            .unwrap();
        next_matching(
            &mut a.events,
            |event| matches!(event, NetworkEvent::PeerDisconnected { key } if *key == b.key),
        )
        .await;
        let metrics = a.handle.metrics();
        assert_eq!(metrics.bans, 1);
        assert_eq!(metrics.invalid_messages_reported, 3);

        // B keeps re-dialing with backoff; A refuses it while the ban lasts.
        eventually(|| async { a.handle.metrics().connections_refused_banned >= 1 }).await;
        assert!(!connected_keys(&a.handle).await.contains(&b.key));

        // After the ban, B's next re-dial is admitted again, with a clean score.
        next_matching(
            &mut a.events,
            |event| matches!(event, NetworkEvent::PeerConnected { key, .. } if *key == b.key),
        )
        .await;
        assert!(banned_at.elapsed() >= Duration::from_millis(BAN_MS));
        let peers = a.handle.peers().await.unwrap();
        assert_eq!(peers.len(), 1);
        assert_eq!(peers[0].score, 0);
        for node in [&a, &b] {
            node.handle.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_node_is_redialed_with_backoff() {
    bounded(async {
        let b_address = reserve_port();
        let members = [51, 52, 53];
        // A and C know B's address from their bootstrap lists; B itself dials nobody, so every
        // link to B is restored by the others' re-dialing.
        let mut a = start(config(51, &members, &[(52, &b_address)])).await;
        let mut c = start(config(53, &members, &[(51, &a.address), (52, &b_address)])).await;
        // B is not up yet: the dials fail and back off.
        eventually(|| async { a.handle.metrics().dial_failures >= 2 }).await;

        let mut b_config = config(52, &members, &[]);
        b_config.listen_address = b_address.clone();
        let b = start(b_config).await;
        wait_for_mesh(&b.handle, &[a.key, c.key]).await;

        b.handle.shutdown().await;
        for node in [&mut a, &mut c] {
            next_matching(
                &mut node.events,
                |event| matches!(event, NetworkEvent::PeerDisconnected { key } if *key == b.key),
            )
            .await;
        }
        let failures_before = a.handle.metrics().dial_failures;
        eventually(|| async { a.handle.metrics().dial_failures > failures_before }).await;

        // Same key, same port.
        let mut b_config = config(52, &members, &[]);
        b_config.listen_address = b_address.clone();
        let mut b = start(b_config).await;
        for node in [&mut a, &mut c] {
            next_matching(
                &mut node.events,
                |event| matches!(event, NetworkEvent::PeerConnected { key, .. } if *key == b.key),
            )
            .await;
        }
        wait_for_mesh(&b.handle, &[a.key, c.key]).await;
        a.handle
            .send(b.key, Channel::Consensus, b"welcome back".to_vec())
            .await
            .unwrap();
        next_matching(&mut b.events, |event| {
            matches!(event, NetworkEvent::Message { bytes, .. } if bytes == b"welcome back")
        })
        .await;
        for node in [&a, &b, &c] {
            node.handle.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_change_disconnects_and_refuses_removed_member() {
    bounded(async {
        let (mut a, b, c) = three_members([61, 62, 63]).await;
        a.handle
            .set_members([a.key, b.key].into_iter().collect(), Default::default())
            .await
            .unwrap();
        next_matching(
            &mut a.events,
            |event| matches!(event, NetworkEvent::PeerDisconnected { key } if *key == c.key),
        )
        .await;
        // C still considers A a member and re-dials; A refuses at connection time.
        let refused_before = a.handle.metrics().connections_refused_non_member;
        eventually(|| async { a.handle.metrics().connections_refused_non_member > refused_before })
            .await;
        assert_eq!(
            connected_keys(&a.handle).await,
            [b.key].into_iter().collect()
        );
        assert!(matches!(
            a.handle.request(c.key, b"sync".to_vec()).await,
            Err(NetworkError::NotMember { .. })
        ));
        for node in [&a, &b, &c] {
            node.handle.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_event_channel_drops_and_counts_without_stalling() {
    bounded(async {
        const CAPACITY: usize = 4;
        const SENT: u64 = 20;
        let a = start(config(71, &[71, 72], &[])).await;
        let mut receiver_config = config(72, &[71, 72], &[(71, &a.address)]);
        receiver_config.event_channel_capacity = CAPACITY;
        let mut c = start(receiver_config).await;
        // The connection event names the address the member connected from.
        next_matching(&mut c.events, |event| {
            matches!(event, NetworkEvent::PeerConnected { key, address: Some(address) }
                if *key == a.key && address.starts_with("/ip4/127.0.0.1/tcp/"))
        })
        .await;
        wait_for_mesh(&a.handle, &[c.key]).await;

        // Nobody reads C's events while A sends.
        for index in 0..SENT {
            a.handle
                .send(c.key, Channel::Sync, index.to_be_bytes().to_vec())
                .await
                .unwrap();
        }
        eventually(|| async { c.handle.metrics().messages_in == SENT }).await;
        assert_eq!(
            c.handle.metrics().events_dropped_channel_full,
            SENT - CAPACITY as u64
        );
        let mut delivered = Vec::new();
        while let Ok(event) = c.events.try_recv() {
            if let NetworkEvent::Message { bytes, .. } = event {
                delivered.push(bytes);
            }
        }
        assert_eq!(delivered.len(), CAPACITY);

        // The network task kept running: once the host reads again, messages flow.
        a.handle
            .send(c.key, Channel::Sync, b"still alive".to_vec())
            .await
            .unwrap();
        next_matching(
            &mut c.events,
            |event| matches!(event, NetworkEvent::Message { bytes, .. } if bytes == b"still alive"),
        )
        .await;
        for node in [&a, &c] {
            node.handle.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_peer_given_by_dns_name_is_dialled() {
    bounded(async {
        // A listens on a known loopback port; B knows it only as `/dns4/localhost/tcp/<port>`.
        let address = reserve_port();
        let port = address
            .iter()
            .find_map(|protocol| match protocol {
                libp2p::multiaddr::Protocol::Tcp(port) => Some(port),
                _ => None,
            })
            .unwrap();
        let mut a_config = config(1, &[1, 2], &[]);
        a_config.listen_address = address;
        let a = start(a_config).await;
        let by_name: Multiaddr = format!("/dns4/localhost/tcp/{port}").parse().unwrap();
        let b = start(config(2, &[1, 2], &[(1, &by_name)])).await;
        eventually(|| async { connected_keys(&b.handle).await.contains(&a.key) }).await;
        eventually(|| async { connected_keys(&a.handle).await.contains(&b.key) }).await;
    })
    .await;
}
