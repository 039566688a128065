//! The cluster tests' view of `yrd_testkit::LocalNet`: four province nodes of the binary Cargo built
//! for these tests, with one spare port slot for an outsider, and helpers that panic with the
//! nodes' logs instead of returning errors.
//!
//! `Cluster::new` lays the network out in a temporary folder (`yrd devnet --init-only` on free
//! ports); nodes are then started, killed (`SIGKILL`) and stopped (`SIGTERM`) one by one. Dropping
//! the cluster kills what is left; when a test is failing, the end of every node's log is printed
//! first.

use std::path::Path;
use std::process::Output;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use yrd_contracts::{ChainId, TxPayload};
use yrd_testkit::{LocalNet, NetLayout};

pub use yrd_testkit::net::PROVINCES as NAMES;
pub use yrd_testkit::{Rpc, Signer};

/// The `yrd` binary Cargo built for these tests.
pub const YRD: &str = env!("CARGO_BIN_EXE_yrd");
/// The devnet's chain id.
pub const CHAIN_ID: &str = "yrd-devnet";

static SERIAL: Mutex<()> = Mutex::new(());

/// Cluster tests run one at a time: four nodes each already keep two cores busy.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The devnet's chain id.
pub fn chain() -> ChainId {
    ChainId(CHAIN_ID.into())
}

/// Four province nodes from one generated genesis.
pub struct Cluster {
    /// The network: node 0 is Shanghai (A), 1 Jiangsu (B), 2 Zhejiang (C), 3 Anhui (D).
    pub net: LocalNet,
}

impl std::ops::Deref for Cluster {
    type Target = LocalNet;

    fn deref(&self) -> &LocalNet {
        &self.net
    }
}

impl std::ops::DerefMut for Cluster {
    fn deref_mut(&mut self) -> &mut LocalNet {
        &mut self.net
    }
}

impl Cluster {
    /// Keys, genesis and configs for four nodes; nothing started.
    /// On the test binary's suite (`crate::SUITE`).
    pub fn new() -> Self {
        Self::on_suite(crate::SUITE)
    }

    /// Keys, genesis and configs for four nodes on the crypto suite `suite`; nothing started.
    /// Installs the suite in this process first (ADR 019), before anything hashes or signs.
    pub fn on_suite(suite: yrd_consensus::CryptoSuite) -> Self {
        if let Err(error) = yrd_consensus::CryptoSuite::install(suite) {
            panic!("{error}");
        }
        let layout = NetLayout::new(NAMES.len()).spare(1).crypto(suite);
        let net = LocalNet::init(Path::new(YRD), &layout)
            .unwrap_or_else(|e| panic!("laying out the cluster: {e}"));
        Self { net }
    }

    /// A new cluster with the four province nodes running and each past `height`.
    pub fn running(height: u64) -> Self {
        Self::running_on(crate::SUITE, height)
    }

    /// [`Cluster::running`] on the crypto suite `suite`.
    pub fn running_on(suite: yrd_consensus::CryptoSuite, height: u64) -> Self {
        let mut cluster = Self::on_suite(suite);
        cluster.start_all();
        for i in 0..NAMES.len() {
            cluster.wait_height(i, height, Duration::from_secs(60));
        }
        cluster
    }

    /// The authority key of a province.
    pub fn authority_key(&self, province: &str) -> SigningKey {
        self.net.authority_key(province).expect("authority key")
    }

    /// Adds a fifth node whose key is not in the genesis membership, bootstrapping to the four.
    /// Returns its index.
    pub fn add_outsider(&mut self) -> usize {
        self.net
            .add_outsider()
            .unwrap_or_else(|e| panic!("adding an outsider: {e}"))
    }

    /// Starts node `i` (`yrd node --config …`, output appended to `<node>/node.log`).
    pub fn start(&mut self, i: usize) {
        self.start_with(i, &[]);
    }

    /// Starts node `i` with extra `yrd node` arguments (such as `--state-sync`).
    pub fn start_with(&mut self, i: usize, extra: &[&str]) {
        self.net
            .start_with(i, extra)
            .unwrap_or_else(|e| panic!("starting node {i}: {e}"));
    }

    /// Starts the four province nodes and waits until each answers JSON-RPC.
    pub fn start_all(&mut self) {
        for i in 0..NAMES.len() {
            self.start(i);
        }
        for i in 0..NAMES.len() {
            self.wait_serving(i);
        }
    }

    /// Waits until node `i` answers `chain_getHead`.
    pub fn wait_serving(&mut self, i: usize) {
        if let Err(e) = self.net.wait_serving(i, Duration::from_secs(30)) {
            panic!("{e}");
        }
    }

    /// `SIGTERM`, then waits for the process; returns whether it exited successfully.
    pub fn terminate(&mut self, i: usize) -> bool {
        self.net.terminate(i, Duration::from_secs(20))
    }

    /// The node's RPC URL, for `yrd` commands.
    pub fn url(&self, i: usize) -> String {
        self.nodes[i].rpc_url()
    }

    /// Runs `yrd <args>` and returns its output.
    pub fn yrd(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("running yrd")
    }

    /// Runs `yrd tx <args> --rpc <node i> --key <key>` and returns its JSON output; panics with
    /// the command's stderr if it failed.
    pub fn tx(&self, i: usize, key: &Path, args: &[&str]) -> Value {
        let mut all: Vec<&str> = vec!["tx"];
        all.extend_from_slice(args);
        let url = self.url(i);
        let key = key.to_string_lossy().into_owned();
        all.extend_from_slice(&["--rpc", &url, "--key", &key, "--wait-secs", "60"]);
        let output = self.yrd(&all);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "yrd {} failed ({}):\nstdout: {stdout}\nstderr: {}",
            all.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("yrd tx printed no JSON ({e}): {stdout}"))
    }

    /// The walk-through's set-up, through the `yrd` CLI: Shanghai (through node 0) registers
    /// `licence_type` (unconditional), creates the DID of the issuer holding `issuer_key` (hex)
    /// and accredits it under `uscc`; Jiangsu (through node 1) recognises Shanghai's licences of
    /// the type. Returns the issuer's DID.
    pub fn accredit_issuer(&self, licence_type: &str, issuer_key: &str, uscc: &str) -> String {
        let shanghai = self.authority_key_file("shanghai");
        let schema = hex::encode([7u8; 32]);
        let registered = self.tx(
            0,
            &shanghai,
            &[
                "register-type",
                "--code",
                licence_type,
                "--name",
                "Food business licence",
                "--schema-digest",
                &schema,
                "--data-class",
                "unconditional",
            ],
        );
        assert_eq!(registered["status"], "committed", "{registered}");
        let created = self.tx(
            0,
            &shanghai,
            &[
                "did-create",
                "--subject",
                "issuer",
                "--controller-key",
                issuer_key,
            ],
        );
        let did = created["did"]
            .as_str()
            .expect("did-create prints the DID")
            .to_owned();
        let accredit = [
            "accredit-issuer",
            "--issuer-key",
            issuer_key,
            "--issuer-did",
            &did,
            "--uscc",
            uscc,
            "--types",
            licence_type,
        ];
        self.tx(0, &shanghai, &accredit);
        let recognise = [
            "declare-recognition",
            "--type",
            licence_type,
            "--issuing-province",
            "shanghai",
        ];
        self.tx(1, &self.authority_key_file("jiangsu"), &recognise);
        did
    }

    /// The issuer of `issuer_file` anchors the licence of `secret_file` as `licence_type`, valid
    /// from 2025-05-22 until 2030-05-22, through node `i`; returns `yrd tx`'s JSON.
    pub fn anchor(
        &self,
        i: usize,
        issuer_file: &Path,
        secret_file: &Path,
        licence_type: &str,
    ) -> Value {
        let secret = secret_file.to_str().expect("utf-8 path");
        self.tx(
            i,
            issuer_file,
            &[
                "anchor",
                "--secret-file",
                secret,
                "--type",
                licence_type,
                "--valid-from",
                "2025-05-22",
                "--valid-until",
                "2030-05-22",
            ],
        )
    }

    /// Node `i` started from a snapshot (block 1 was never fetched or executed there), and its
    /// proven answer for state key `key_hex` checks against the genesis file alone. Returns the
    /// proven value as JSON text.
    pub fn assert_state_synced_and_proving(&self, i: usize, key_hex: &str) -> String {
        let early = self.rpc(i).call("chain_getBlock", json!([1]));
        assert!(
            matches!(&early, Ok(Value::Null) | Err(_)),
            "block 1 is on the state-synced node {i}: {early:?}"
        );
        let spec =
            yrd_verifier::chain_spec::ChainSpec::load(&self.path("genesis.json")).expect("genesis");
        let answer = self.rpc(i).ok("state_getProof", json!({ "key": key_hex }));
        let answer: yrd_verifier::ProvenAnswer = serde_json::from_value(answer).expect("envelope");
        yrd_verifier::verify_answer(&spec, &answer)
            .expect("the state-synced node's answer verifies");
        answer.value.to_string()
    }

    /// `yrd verify licence --json` of the licence in `secret_file`, asked of node `i` for region
    /// Jiangsu and checked against the genesis file, its answer saved to `out`; asked again until
    /// the proven height reaches `height` (proven answers trail the head by a block or two).
    /// Panics unless every answer verifies. Returns the outcome.
    pub fn verify_licence_from(
        &self,
        i: usize,
        secret_file: &Path,
        out: &Path,
        height: u64,
    ) -> Value {
        let genesis = self.path("genesis.json");
        let url = self.url(i);
        let args = [
            "verify",
            "licence",
            "--secret-file",
            secret_file.to_str().expect("utf-8 path"),
            "--rpc",
            &url,
            "--genesis",
            genesis.to_str().expect("utf-8 path"),
            "--region",
            "jiangsu",
            "--out",
            out.to_str().expect("utf-8 path"),
            "--json",
        ];
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let output = self.yrd(&args);
            let stdout = String::from_utf8_lossy(&output.stdout).to_string();
            assert!(
                output.status.success(),
                "yrd verify licence failed: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let outcome: Value = serde_json::from_str(&stdout).expect("JSON outcome");
            assert_eq!(outcome["verified"], true, "{outcome}");
            if outcome["version"].as_u64().unwrap_or(0) >= height {
                return outcome;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "certified height never reached {height}: {outcome}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Node `i`'s committed height.
    pub fn height(&self, i: usize) -> u64 {
        self.net
            .height(i)
            .unwrap_or_else(|e| panic!("chain_getHead failed at node {i}: {e}"))
    }

    /// Waits until node `i` has committed `height`; panics after `timeout`.
    pub fn wait_height(&self, i: usize, height: u64, timeout: Duration) {
        if let Err(e) = self.net.wait_height(i, height, timeout) {
            panic!("{e}");
        }
    }

    /// The state root node `i` holds for `height`.
    pub fn state_root_at(&self, i: usize, height: u64) -> String {
        let block = self.rpc(i).ok("chain_getBlock", json!([height]));
        block["head"]["stateRoot"]
            .as_str()
            .expect("stateRoot")
            .to_owned()
    }

    /// The block id node `i` holds for `height`.
    pub fn block_id_at(&self, i: usize, height: u64) -> String {
        let block = self.rpc(i).ok("chain_getBlock", json!([height]));
        block["head"]["blockId"]
            .as_str()
            .expect("blockId")
            .to_owned()
    }

    /// Waits until the transaction is committed as seen by node `i`; returns its status.
    pub fn wait_committed(&self, i: usize, hash: &str, timeout: Duration) -> Value {
        self.net
            .wait_committed(i, hash, timeout)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Panicking calls for tests.
pub trait RpcExt {
    /// Calls `method` and panics on an error.
    fn ok(&self, method: &str, params: Value) -> Value;
}

impl RpcExt for Rpc {
    fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params)
            .unwrap_or_else(|e| panic!("{method} failed at {}: {e}", self.addr))
    }
}

/// A timestamping transaction payload for a distinct digest (any authority may send it).
pub fn timestamp_payload(seed: u64) -> TxPayload {
    TxPayload::TimestampDocument {
        digest: *blake3::hash(&seed.to_le_bytes()).as_bytes(),
        acting_did: None,
    }
}
