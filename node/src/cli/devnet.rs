//! `yrd devnet [--dir D] [--nodes N] [--observers M]`: a local four-province network in one
//! command.
//!
//! On first use it creates, under `D`: an authority key and a node key per province, `genesis.json`,
//! and one `node.toml` per node (p2p and RPC on loopback). Then it starts every node as a separate
//! `yrd node` process (logs in `D/<node>/node.log`), prints each RPC address, and on Ctrl-C or
//! SIGTERM stops them all. Running it again reuses the folder and resumes the chain.
//!
//! With `--observers M` it also writes `observer-1` … `observer-M` (node key and config, ports after
//! the validators'); once the validators commit, each observer is registered on chain by a
//! province authority in turn (`yrd tx register-observer`, the same transaction an operator
//! sends; one already registered is left as it is), on an `sm2-sm3` chain its network key bound
//! (`yrd tx bind-network-key`, ADR 020), and started. Observers never vote: they pull
//! committed blocks from the validators, verify and execute them, and serve the full JSON-RPC.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use yrd_contracts::{ChainId, Genesis, GenesisAuthority, Parameters, ProvinceCode};
use yrd_node::keys::LedgerKey;

/// The four founding provinces in node order, with the folder names used for them.
pub const PROVINCES: [(ProvinceCode, &str); 4] = [
    (ProvinceCode::SHANGHAI, "shanghai"),
    (ProvinceCode::JIANGSU, "jiangsu"),
    (ProvinceCode::ZHEJIANG, "zhejiang"),
    (ProvinceCode::ANHUI, "anhui"),
];

/// Arguments of `yrd devnet`.
#[derive(Debug, Clone, clap::Args)]
pub struct DevnetArgs {
    /// Folder for keys, genesis, configs and data.
    #[arg(long, default_value = "devnet")]
    pub dir: PathBuf,
    /// Number of validator nodes (spread over the four provinces).
    #[arg(long, default_value_t = 4)]
    pub nodes: usize,
    /// First p2p port; node i listens on base + i.
    #[arg(long, default_value_t = 26600)]
    pub p2p_base_port: u16,
    /// First RPC port; node i serves on base + i.
    #[arg(long, default_value_t = 8600)]
    pub rpc_base_port: u16,
    /// Only write keys, genesis and configs; start nothing (observers are registered on chain
    /// only by a devnet that runs).
    #[arg(long)]
    pub init_only: bool,
    /// Number of observer nodes (non-voting, registered on chain by the provinces in turn).
    #[arg(long, default_value_t = 0)]
    pub observers: usize,
    /// The chain's crypto suite, written into a new genesis (`ed25519-blake3` or `sm2-sm3`:
    /// SM2 signatures and SM3 hashing, ADR 019). A devnet folder keeps the suite it was made
    /// with.
    #[arg(long, default_value = "ed25519-blake3")]
    pub crypto: yrd_consensus::CryptoSuite,
}

/// A node of the devnet.
#[derive(Debug, Clone)]
pub struct DevnetNode {
    /// Folder name.
    pub name: String,
    /// Its config file.
    pub config: PathBuf,
    /// Its RPC URL.
    pub rpc_url: String,
    /// Its node key.
    pub key: [u8; 32],
    /// For an observer: the folder of the province whose authority registers it.
    pub registered_by: Option<&'static str>,
}

/// Write everything a devnet needs (if not there yet) and return its nodes.
pub fn init(args: &DevnetArgs) -> anyhow::Result<Vec<DevnetNode>> {
    if args.nodes == 0 || args.nodes > 16 {
        bail!("--nodes must be between 1 and 16");
    }
    if args.observers > 16 {
        bail!("--observers must be between 0 and 16");
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let genesis_path = args.dir.join("genesis.json");
    let names: Vec<String> = (0..args.nodes)
        .map(|i| {
            let (_, province) = PROVINCES[i % PROVINCES.len()];
            if i < PROVINCES.len() {
                province.to_string()
            } else {
                format!("{province}-{}", i / 4 + 1)
            }
        })
        .collect();

    // Keys: one authority key per province, one node key per node.
    let mut node_keys = Vec::new();
    let mut network_keys = Vec::new();
    for name in &names {
        let key = ensure_key(&args.dir.join(name).join("node-key.json"), args.crypto)?;
        node_keys.push(key.public_key());
        network_keys.push(yrd_contracts::NetworkKeyBinding {
            validator_key: key.public_key(),
            network_key: key.network_public_key(),
        });
    }
    let observer_names: Vec<String> = (1..=args.observers)
        .map(|i| format!("observer-{i}"))
        .collect();
    let mut observer_keys = Vec::new();
    for name in &observer_names {
        observer_keys.push(
            ensure_key(&args.dir.join(name).join("node-key.json"), args.crypto)?.public_key(),
        );
    }
    if !genesis_path.exists() {
        let mut authorities = Vec::new();
        for (index, (code, province)) in PROVINCES.iter().enumerate() {
            let authority = ensure_key(
                &args.dir.join(province).join("authority-key.json"),
                args.crypto,
            )?
            .public_key();
            let validator_keys: Vec<[u8; 32]> = node_keys
                .iter()
                .enumerate()
                .filter(|(i, _)| i % PROVINCES.len() == index)
                .map(|(_, k)| *k)
                .collect();
            authorities.push(GenesisAuthority {
                province: *code,
                authority_key: authority,
                validator_keys,
            });
        }
        let genesis = Genesis {
            chain_id: ChainId("yrd-devnet".into()),
            genesis_time_ms: yrd_node::clock::unix_ms(),
            authorities,
            parameters: Parameters::default(),
            crypto_suite: args.crypto,
            // On ed25519-blake3 a validator's network key is its validator key.
            network_keys: if args.crypto == yrd_consensus::CryptoSuite::Ed25519Blake3 {
                Vec::new()
            } else {
                network_keys
            },
        };
        super::genesis::write_genesis(&genesis, &genesis_path)?;
    }

    let mut nodes = Vec::new();
    let all_names = names.iter().chain(&observer_names);
    let all_keys = node_keys.iter().chain(&observer_keys);
    for (i, (name, key)) in all_names.zip(all_keys).enumerate() {
        let folder = args.dir.join(name);
        let config = folder.join("node.toml");
        let rpc_port = args.rpc_base_port + i as u16;
        let observer = i >= args.nodes;
        if !config.exists() {
            // Everyone bootstraps to the validators; observers talk to no one else.
            let bootstrap: Vec<String> = node_keys
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(j, key)| {
                    format!(
                        "{{ public_key = \"{}\", address = \"/ip4/127.0.0.1/tcp/{}\" }}",
                        hex::encode(key),
                        args.p2p_base_port + j as u16
                    )
                })
                .collect();
            let role = if observer { "observer" } else { "validator" };
            let text = format!(
                "# Node {name} ({role}) of the local devnet.\n\
                 data_dir = \"data\"\nkey_file = \"node-key.json\"\ngenesis_file = \"../genesis.json\"\n\n\
                 [p2p]\nlisten_address = \"/ip4/127.0.0.1/tcp/{}\"\nbootstrap = [\n  {}\n]\n\n\
                 [rpc]\nlisten_address = \"127.0.0.1:{rpc_port}\"\n\n\
                 [consensus]\nround_timeout_base_ms = 1000\n",
                args.p2p_base_port + i as u16,
                bootstrap.join(",\n  ")
            );
            std::fs::write(&config, text)
                .with_context(|| format!("writing {}", config.display()))?;
        }
        nodes.push(DevnetNode {
            name: name.clone(),
            config,
            rpc_url: format!("http://127.0.0.1:{rpc_port}"),
            key: *key,
            registered_by: observer.then(|| PROVINCES[(i - args.nodes) % PROVINCES.len()].1),
        });
    }
    Ok(nodes)
}

/// The key in `path`, made for `suite` if there is none yet.
fn ensure_key(path: &Path, suite: yrd_consensus::CryptoSuite) -> anyhow::Result<LedgerKey> {
    if path.exists() {
        let key = yrd_node::keys::read_ledger_key(path)?;
        if key.suite() != suite {
            bail!(
                "{} holds an {} key, not {suite}: a devnet folder keeps the suite it was made \
                 with (use another --dir)",
                path.display(),
                key.suite()
            );
        }
        return Ok(key);
    }
    let key = LedgerKey::generate(suite);
    yrd_node::keys::write_ledger_key(path, &key)?;
    Ok(key)
}

/// Run the devnet until Ctrl-C / SIGTERM.
pub fn run(args: &DevnetArgs) -> anyhow::Result<ExitCode> {
    let nodes = init(args)?;
    if args.init_only {
        for node in &nodes {
            println!("{}: {}", node.name, node.config.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe().context("locating the yrd binary")?;
    let mut children: Vec<(String, Child)> = Vec::new();
    let (validators, observers): (Vec<&DevnetNode>, Vec<&DevnetNode>) =
        nodes.iter().partition(|node| node.registered_by.is_none());
    for node in validators {
        children.push(start_node(&exe, node)?);
    }
    if !observers.is_empty() {
        if let Err(error) = register_observers(&exe, args, &nodes, &observers) {
            stop_all(&mut children);
            return Err(error);
        }
        for node in observers {
            children.push(start_node(&exe, node)?);
        }
    }
    println!(
        "devnet running in {}; logs in <node>/node.log; Ctrl-C stops every node",
        args.dir.display()
    );
    supervise(children, &args.dir)
}

/// Starts one `yrd node` process, its output appended to `<node>/node.log`.
fn start_node(exe: &Path, node: &DevnetNode) -> anyhow::Result<(String, Child)> {
    let folder = node.config.parent().unwrap_or_else(|| Path::new("."));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(folder.join("node.log"))
        .with_context(|| format!("creating {}/node.log", folder.display()))?;
    let child = Command::new(exe)
        .arg("node")
        .arg("--config")
        .arg(&node.config)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting node {}", node.name))?;
    let role = if node.registered_by.is_some() {
        "observer"
    } else {
        "validator"
    };
    println!(
        "started {:<10} {role:<9} pid {:<7} rpc {}",
        node.name,
        child.id(),
        node.rpc_url
    );
    Ok((node.name.clone(), child))
}

/// Registers every observer on chain (once the validators commit), each by the authority of
/// the province named in it, through `yrd tx register-observer`. An observer registered by an
/// earlier run (receipt 401, `AlreadyExists`) is left as it is.
fn register_observers(
    exe: &Path,
    args: &DevnetArgs,
    nodes: &[DevnetNode],
    observers: &[&DevnetNode],
) -> anyhow::Result<()> {
    let Some(first) = nodes.first() else {
        return Ok(());
    };
    wait_committing(exe, &first.rpc_url)?;
    for observer in observers {
        let Some(province) = observer.registered_by else {
            continue;
        };
        let authority = args.dir.join(province).join("authority-key.json");
        let node_key = hex::encode(observer.key);
        let registered = authority_tx(
            exe,
            &first.rpc_url,
            &authority,
            &["register-observer", "--node-key", &node_key],
        )
        .with_context(|| format!("registering {}", observer.name))?;
        match registered {
            Some(0) => println!("registered {} (by {province})", observer.name),
            _ => println!("{} was registered before", observer.name),
        }
        if args.crypto != yrd_consensus::CryptoSuite::Ed25519Blake3 {
            // The members admit it once its network key is bound (ADR 020).
            let key_file = observer.config.with_file_name("node-key.json");
            let key_arg = key_file.to_string_lossy().into_owned();
            let bound = authority_tx(
                exe,
                &first.rpc_url,
                &authority,
                &["bind-network-key", "--node-key-file", &key_arg],
            )
            .with_context(|| format!("binding the network key of {}", observer.name))?;
            match bound {
                Some(0) => println!("bound the network key of {}", observer.name),
                _ => println!("the network key of {} was bound before", observer.name),
            }
        }
    }
    Ok(())
}

/// Runs `yrd tx <args>` signed by `authority` through `rpc_url` and waits for the commit; the
/// receipt code, or an error if the transaction was refused with anything but `AlreadyExists`
/// (401: done by an earlier run).
fn authority_tx(
    exe: &Path,
    rpc_url: &str,
    authority: &Path,
    args: &[&str],
) -> anyhow::Result<Option<u64>> {
    let output = Command::new(exe)
        .arg("tx")
        .args(args)
        .arg("--rpc")
        .arg(rpc_url)
        .arg("--key")
        .arg(authority)
        .args(["--wait-secs", "60"])
        .stdin(Stdio::null())
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let status: Option<serde_json::Value> = serde_json::from_str(&stdout).ok();
    let code = status
        .as_ref()
        .and_then(|s| s.pointer("/receipt/code"))
        .and_then(serde_json::Value::as_u64);
    match code {
        Some(0) | Some(401) => Ok(code),
        _ => bail!(
            "yrd tx {} failed: {}{}",
            args.join(" "),
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    }
}

/// Waits (up to 60 s) until the node at `rpc_url` has committed a block.
fn wait_committing(exe: &Path, rpc_url: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let output = Command::new(exe)
            .args(["status", "--rpc", rpc_url])
            .stdin(Stdio::null())
            .output();
        if let Ok(output) = output
            && output.status.success()
        {
            let text = String::from_utf8_lossy(&output.stdout);
            let height = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|status| status.pointer("/node/head/height").and_then(|h| h.as_u64()));
            if height.is_some_and(|h| h >= 1) {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            bail!("the validators committed nothing in 60 s; see <node>/node.log");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Waits for Ctrl-C / SIGTERM, then stops every node. A node that exits on its own (a crash, or
/// `kill -9` to watch the other three keep committing) is reported with the command that starts
/// it again; the others keep running. When none is left the devnet ends.
fn supervise(mut children: Vec<(String, Child)>, dir: &Path) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let exe = std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_else(|_| "yrd".to_owned());
    let mut any_exited = false;
    runtime.block_on(async {
        let mut ticker = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = wait_for_stop() => return,
                _ = ticker.tick() => {
                    let mut index = 0;
                    while index < children.len() {
                        let exited = match children.get_mut(index) {
                            Some((_, child)) => child.try_wait().ok().flatten(),
                            None => None,
                        };
                        let Some(status) = exited else {
                            index += 1;
                            continue;
                        };
                        let (name, _) = children.remove(index);
                        any_exited = true;
                        let folder = dir.join(&name);
                        eprintln!(
                            "node {name} exited ({status}); the other nodes keep running. Start \
                             it again with: {exe} node --config {} (log: {})",
                            folder.join("node.toml").display(),
                            folder.join("node.log").display()
                        );
                    }
                    if children.is_empty() {
                        eprintln!("every node has exited; the devnet ends");
                        return;
                    }
                }
            }
        }
    });
    stop_all(&mut children);
    Ok(if any_exited {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {},
                _ = tokio::signal::ctrl_c() => {},
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// SIGTERM every child, wait up to 10 s, then kill what is left.
fn stop_all(children: &mut [(String, Child)]) {
    for (_, child) in children.iter() {
        terminate(child.id());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for (name, child) in children.iter_mut() {
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
            }
        }
        println!("stopped {name}");
    }
}

fn terminate(pid: u32) {
    // `kill -TERM` keeps this crate free of unsafe signal calls.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}
